import { parseArgs } from 'node:util';
import { EmbeddedMongoServer } from './index.js';

/** `npm run db -- --port 27018 --data-dir ./data`: runs the engine alone until SIGINT/SIGTERM. */
const USAGE = 'usage: npm run db -- [--port 27017] [--data-dir ./data] [--host 127.0.0.1]';

function args(): { port: string; 'data-dir': string; host: string } {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '27017' },
        'data-dir': { type: 'string', default: './data' },
        host: { type: 'string', default: '127.0.0.1' },
      },
    }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}

const values = args();

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`invalid --port ${values.port}`);
  process.exit(2);
}

const logger = {
  info: (msg: string, meta?: object) => console.log(msg, meta ?? ''),
  warn: (msg: string, meta?: object) => console.warn(msg, meta ?? ''),
  error: (msg: string, meta?: object) => console.error(msg, meta ?? ''),
};

try {
  const server = await EmbeddedMongoServer.start({ host: values.host, port, dataDir: values['data-dir'], logger });
  console.log(server.uri);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info(`embedded-mongo: ${signal} received, stopping`);
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('embedded-mongo: stop failed', { error: (err as Error).message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
