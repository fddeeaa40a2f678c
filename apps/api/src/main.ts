import { JsonLogger } from '@app/common';
import { ConfigError, loadConfig } from './config/app-config.js';
import { createApp } from './create-app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await createApp(config);
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const { port } = app.getHttpServer().address() as { port: number };
  new JsonLogger('Plughub').log('Plughub is listening', {
    url: `http://${shown}:${port}/api/`,
    docs: `http://${shown}:${port}/api/docs/`,
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`Plughub failed to start: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});
