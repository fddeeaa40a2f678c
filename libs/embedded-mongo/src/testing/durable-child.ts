import { performance } from 'node:perf_hooks';
import { EmbeddedMongoServer } from '../index.js';

/**
 * Test helper process: serves a data directory until killed; prints one JSON line with its URI, its pid and
 * how long the engine took to open the directory (lock, replay, listen), excluding the process's own boot
 * (or `{error}` when it could not start).
 */
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: durable-child <dataDir>');
const started = performance.now();
const server = await EmbeddedMongoServer.start({ dataDir }).catch((err: unknown) => {
  // Reported on stdout too: under a wrapper shell the parent cannot see this process exit.
  process.stdout.write(JSON.stringify({ error: (err as Error).name, message: (err as Error).message }) + '\n');
  process.exit(1);
});
const openMs = performance.now() - started;
process.stdout.write(JSON.stringify({ uri: server.uri, pid: process.pid, openMs }) + '\n');
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
