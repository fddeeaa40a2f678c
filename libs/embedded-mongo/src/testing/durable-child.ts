import { EmbeddedMongoServer } from '../index.js';

/** Test helper process: serves a data directory until killed; prints its URI as one JSON line. */
const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: durable-child <dataDir>');
const server = await EmbeddedMongoServer.start({ dataDir });
process.stdout.write(JSON.stringify({ uri: server.uri, pid: process.pid }) + '\n');
process.on('SIGTERM', () => {
  void server.stop().then(() => process.exit(0));
});
