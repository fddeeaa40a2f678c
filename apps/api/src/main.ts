import { JsonLogger } from '@app/common';
import { type AppConfig, ConfigError, loadConfig } from './config/app-config.js';
import { createApp } from './create-app.js';

function configOrExit(): AppConfig {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const app = await createApp(config);
  app.enableShutdownHooks();
  await app.listen(config.http.port, config.http.host);
  const shown = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const { port } = app.getHttpServer().address() as { port: number };
  app
    .get(JsonLogger)
    .child('Plughub')
    .log('Plughub is listening', { url: `http://${shown}:${port}/api/`, docs: `http://${shown}:${port}/api/docs/` });
}

main().catch((err: unknown) => {
  process.stderr.write(`Plughub failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
