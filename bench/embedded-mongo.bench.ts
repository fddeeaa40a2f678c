/**
 * Embedded MongoDB engine benchmark (not a test): `npx tsx bench/embedded-mongo.bench.ts`.
 *
 * Measures, in memory, through Mongoose and the driver:
 *   - insert and findById, sequential and with 16 concurrent callers;
 *   - equality lookup on a unique indexed field with 100k documents: the engine-internal time per lookup
 *     (command execution inside the server, excluding the wire and the driver) and driver-level ops/s;
 *   - durable inserts (fsync per acknowledged write, shared between concurrent writers);
 *   - engine CPU per find of a ~50 KB document with a 2-field projection: built from the stored document (now)
 *     against the general path it replaced (mingo over a copy of the whole document), alternating rounds.
 *
 *   - engine CPU per command of the four an installation makes most (findOne by _id, updateOne by _id with
 *     $set/$inc, insertOne, find by equality on an indexed field), as the driver sends them (session id,
 *     txnNumber on retryable writes), on the command layer.
 *
 *   - engine CPU, index keys and documents examined per query of the plugin-logs shapes (newest page and its
 *     count, a minimum level, searches by term, counts with a limit) over a logs-shaped collection of
 *     BENCH_LOG_DOCS (default 200,000) lines with the app's indexes.
 *
 * `BENCH_ONLY=projection npx tsx bench/embedded-mongo.bench.ts` runs the projection rows alone (a few seconds),
 * `BENCH_ONLY=commands` the per-command CPU rows alone (BENCH_COMMAND_OPS per round, default 2,000),
 * `BENCH_ONLY=logs` the plugin-logs rows alone (BENCH_LOG_ROUNDS rounds, default 7).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BSON, ObjectId, UUID } from 'bson';
import { MongoClient } from 'mongodb';
import mongoose from 'mongoose';
import { EmbeddedMongoServer } from '../libs/embedded-mongo/src/index.js';
import { Engine, type ConnectionInfo } from '../libs/embedded-mongo/src/engine.js';
import type { Doc } from '../libs/embedded-mongo/src/paths.js';
import { projectThroughMingo } from '../libs/embedded-mongo/src/write-commands.js';

const DOCS = Number(process.env.BENCH_DOCS ?? 100_000);
const OPS = Number(process.env.BENCH_OPS ?? 5_000);
const CONCURRENCY = 16;

// Engine-internal timing: wrap the command entry point and record per-command durations.
const timings = new Map<string, number[]>();
let recording = false;
// Taken off the prototype and always invoked with .call(this), so the method keeps its receiver.
type RunFn = (this: Engine, ...args: Parameters<Engine['run']>) => ReturnType<Engine['run']>;
const originalRun: RunFn = Reflect.get<typeof Engine.prototype, 'run'>(Engine.prototype, 'run');
Engine.prototype.run = async function (this: Engine, cmd, conn) {
  if (!recording) return originalRun.call(this, cmd, conn);
  const start = performance.now();
  const reply = await originalRun.call(this, cmd, conn);
  const name = Object.keys(cmd)[0] ?? '?';
  const list = timings.get(name) ?? [];
  list.push(performance.now() - start);
  timings.set(name, list);
  return reply;
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

interface Row {
  benchmark: string;
  'ops/s': string;
  'median ms': string;
  'p99 ms': string;
}

const rows: Row[] = [];

/** Runs `op` `total` times with `concurrency` callers; records per-op latency and throughput. */
async function measure(
  name: string,
  total: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<void> {
  const lat: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await op(i);
        lat.push(performance.now() - t);
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  rows.push({
    benchmark: name,
    'ops/s': Math.round(total / secs).toLocaleString('en-US'),
    'median ms': median(lat).toFixed(3),
    'p99 ms': percentile(lat, 0.99).toFixed(3),
  });
}

/**
 * Engine CPU per find of one ~50 KB document projected to 2 fields, measured on the command layer (no wire, no
 * driver). "general path" is the work a find with this projection did before: the find without projection, then
 * mingo's projection over a copy of the whole document (what projectDocs did for every projection).
 */
async function projectionRows(): Promise<{ measurement: string; 'µs CPU/find (median)': string; rounds: number }[]> {
  const { engine, conn } = commandLayer();
  const big: Doc = { _id: 1, title: 'day', n: 7 };
  for (let i = 0; i < 350; i++) big[`f${i}`] = { at: i, series: [i, i + 1, { label: 'x'.repeat(80) }] };
  await engine.run({ insert: 'days', documents: [big], $db: 'bench' }, conn);
  const projection = { title: 1, n: 1 };
  const find = { find: 'days', filter: { _id: 1 }, projection, $db: 'bench' };
  const plain = { find: 'days', filter: { _id: 1 }, $db: 'bench' };
  const size = BSON.calculateObjectSize(big);
  const rounds = 7;
  const perRound = Number(process.env.BENCH_PROJECTION_OPS ?? 2_000);
  const now: number[] = [];
  const general: number[] = [];
  const runNow = async (): Promise<void> => {
    for (let i = 0; i < perRound; i++) await engine.run(find, conn);
  };
  const runGeneral = async (): Promise<void> => {
    for (let i = 0; i < perRound; i++) {
      const reply = await engine.run(plain, conn);
      projectThroughMingo((reply.cursor as { firstBatch: Doc[] }).firstBatch, projection);
    }
  };
  const measureAsync = (run: () => Promise<void>): Promise<number> => cpuPerOp(run, perRound);
  await runNow();
  await runGeneral();
  for (let r = 0; r < rounds; r++) {
    now.push(await measureAsync(runNow));
    general.push(await measureAsync(runGeneral));
  }
  engine.stop();
  const kb = `${(size / 1024).toFixed(0)} KB`;
  return [
    {
      measurement: `find, ${kb} doc, 2-field projection: from the stored doc`,
      'µs CPU/find (median)': median(now).toFixed(1),
      rounds,
    },
    {
      measurement: `find, ${kb} doc, 2-field projection: general path (before)`,
      'µs CPU/find (median)': median(general).toFixed(1),
      rounds,
    },
    { measurement: 'ratio before / now', 'µs CPU/find (median)': (median(general) / median(now)).toFixed(1), rounds },
  ];
}

/** An engine driven on its command layer (no wire, no driver), with one connection. */
function commandLayer(): { engine: Engine; conn: ConnectionInfo } {
  const engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'bench' });
  const conn: ConnectionInfo = {
    id: 1,
    remote: 'bench',
    closed: new Promise<void>(() => undefined),
    close: () => undefined,
  };
  return { engine, conn };
}

/** CPU microseconds (user + system) of this process per operation while `run` does `ops` of them. */
async function cpuPerOp(run: () => Promise<void>, ops: number): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ops;
}

/**
 * Engine CPU per command for the commands an installation makes most, each as the driver sends it, over a
 * collection of BENCH_COMMAND_DOCS (default 10,000) documents with a unique index on `email`; the commands take
 * turns round by round and the median of the rounds is reported.
 */
async function commandRows(): Promise<{ command: string; 'µs CPU/command (median)': string; rounds: number }[]> {
  const { engine, conn } = commandLayer();
  const docs = Number(process.env.BENCH_COMMAND_DOCS ?? 10_000);
  const perRound = Number(process.env.BENCH_COMMAND_OPS ?? 2_000);
  const rounds = 7;
  const ids = Array.from({ length: docs }, () => new ObjectId());
  const lsid = { id: new UUID() };
  let txnNumber = 0;
  const run = async (cmd: Doc): Promise<void> => {
    const reply = await engine.run({ ...cmd, $db: 'bench', lsid }, conn);
    if (reply.ok !== 1 || reply.writeErrors) throw new Error(`bench command failed: ${JSON.stringify(reply)}`);
  };
  await run({ createIndexes: 'items', indexes: [{ key: { email: 1 }, name: 'email_1', unique: true }] });
  for (let base = 0; base < docs; base += 1000) {
    const documents = ids.slice(base, base + 1000).map((_id, k) => ({
      _id,
      email: `user${base + k}@example.com`,
      name: `User ${base + k}`,
      n: 0,
      created: new Date(),
    }));
    await run({ insert: 'items', documents, ordered: true });
  }
  let inserted = 0;
  const pick = (i: number): number => (i * 7919) % docs;
  const commands: Record<string, (i: number) => Doc> = {
    'findOne by _id': (i) => ({ find: 'items', filter: { _id: ids[pick(i)] }, limit: 1, singleBatch: true }),
    'updateOne by _id, $set + $inc': (i) => ({
      update: 'items',
      updates: [{ q: { _id: ids[pick(i)] }, u: { $set: { name: `renamed ${i}` }, $inc: { n: 1 } } }],
      ordered: true,
      txnNumber: ++txnNumber,
    }),
    insertOne: () => ({
      insert: 'fresh',
      documents: [{ _id: new ObjectId(), email: `new${inserted++}@example.com`, n: 1, created: new Date() }],
      ordered: true,
      txnNumber: ++txnNumber,
    }),
    'find by indexed email': (i) => ({
      find: 'items',
      filter: { email: `user${pick(i)}@example.com` },
      limit: 1,
      singleBatch: true,
    }),
  };
  const samples = new Map<string, number[]>(Object.keys(commands).map((name) => [name, []]));
  const takeTurns = async (count: number, record: boolean): Promise<void> => {
    for (let r = 0; r < count; r++) {
      for (const [name, make] of Object.entries(commands)) {
        const cpu = await cpuPerOp(async () => {
          for (let i = 0; i < perRound; i++) await run(make(r * perRound + i));
        }, perRound);
        if (record) samples.get(name)?.push(cpu);
      }
    }
  };
  await takeTurns(1, false);
  await takeTurns(rounds, true);
  engine.stop();
  return [...samples].map(([name, cpu]) => ({
    command: `${name} (${docs.toLocaleString('en-US')} docs)`,
    'µs CPU/command (median)': median(cpu).toFixed(1),
    rounds,
  }));
}

/** A log line's search terms as the app stores them: word heads of 3 characters and pairs (head, next word's 2). */
function logTerms(message: string): string[] {
  const words = Array.from(message.matchAll(/[a-z0-9]+/gi), ([w]) => w.toLowerCase());
  const terms = new Set<string>();
  words.forEach((w, i) => {
    if (w.length >= 3) terms.add(w.slice(0, 3));
    if (i > 0) terms.add(`${words[i - 1].slice(0, 3)} ${w.slice(0, 2)}`);
  });
  return [...terms];
}

interface LogRow {
  query: string;
  'µs CPU (median)': string;
  keys: number;
  docs: number;
  returned: number;
}

/**
 * The plugin-logs queries as the app's repository sends them, over BENCH_LOG_DOCS lines of one installation
 * (plus a tenth as many of a neighbour) spread over a week, with the app's indexes (installation_terms ending in
 * `_id`): each query's CPU (median of BENCH_LOG_ROUNDS rounds taken in turn), and the index keys and documents
 * it examined (serverStatus metrics.queryExecutor `scanned` and `scannedObjects`).
 */
async function logRows(): Promise<LogRow[]> {
  const { engine, conn } = commandLayer();
  const lines = Number(process.env.BENCH_LOG_DOCS ?? 200_000);
  const rounds = Number(process.env.BENCH_LOG_ROUNDS ?? 7);
  const run = async (cmd: Doc): Promise<Doc> => {
    const reply = await engine.run({ ...cmd, $db: 'bench' }, conn);
    if (reply.ok !== 1 || reply.writeErrors) throw new Error(`bench command failed: ${JSON.stringify(reply)}`);
    return reply;
  };
  await run({
    createIndexes: 'logs',
    indexes: [
      { key: { installation_id: 1, at: -1, _id: -1 }, name: 'installation_at' },
      { key: { installation_id: 1, severity: 1, at: -1, _id: -1 }, name: 'installation_severity_at' },
      { key: { installation_id: 1, terms: 1, at: -1, _id: -1 }, name: 'installation_terms' },
      { key: { expires_at: 1 }, name: 'retention', expireAfterSeconds: 0 },
    ],
  });
  const end = Date.UTC(2026, 11, 1);
  const start = end - 7 * 86_400_000;
  const levels = ['debug', 'info', 'info', 'info', 'warn', 'error'];
  const severity: Record<string, number> = { debug: 10, info: 20, warn: 30, error: 40 };
  const filled = performance.now();
  for (const [installation, count] of [
    ['bench-a', lines],
    ['bench-b', Math.floor(lines / 10)],
  ] as const) {
    for (let offset = 0; offset < count; offset += 5000) {
      const documents = Array.from({ length: Math.min(5000, count - offset) }, (_, i) => {
        const n = offset + i;
        const at = new Date(start + Math.floor(((end - start) * n) / count));
        const level = levels[n % levels.length];
        const message =
          n % 10_000 === 0 ? `reconciliation drift on account ${n}` : `processed order ${n} in ${n % 97} ms`;
        return {
          _id: new ObjectId(),
          installation_id: installation,
          plugin_key: 'bench.plugin',
          at,
          level,
          severity: severity[level],
          message,
          terms: logTerms(message),
          source: 'plugin',
          truncated: false,
          expires_at: new Date(at.getTime() + 30 * 86_400_000),
        };
      });
      await run({ insert: 'logs', documents, ordered: false });
    }
  }
  console.log(
    `filled ${lines + Math.floor(lines / 10)} lines in ${((performance.now() - filled) / 1000).toFixed(0)} s`,
  );
  const since = { $gte: new Date(start) };
  const page = { sort: { at: -1, _id: -1 }, limit: 50, singleBatch: true, batchSize: 50 };
  const search = (words: RegExp, terms: string[], extra: Doc = {}): Doc => ({
    installation_id: 'bench-a',
    message: { $regex: words.source, $options: 'i' },
    terms: { $all: terms },
    at: since,
    ...extra,
  });
  const hits = { projection: { _id: 1, at: 1 }, sort: { at: -1, _id: -1 }, limit: 10_001, batchSize: 10_001 };
  const queries: Record<string, Doc> = {
    'newest 50': { find: 'logs', filter: { installation_id: 'bench-a', at: since }, ...page },
    'newest: count': { count: 'logs', query: { installation_id: 'bench-a', at: since } },
    'level >= warn: page ($in severities)': {
      find: 'logs',
      filter: { installation_id: 'bench-a', at: since, severity: { $in: [30, 40] } },
      ...page,
    },
    'level >= warn: count': {
      count: 'logs',
      query: { installation_id: 'bench-a', at: since, severity: { $in: [30, 40] } },
    },
    'search "drift" (1 in 10,000): hits': { find: 'logs', filter: search(/(?:^|[^a-z0-9])drift/, ['dri']), ...hits },
    'search "order 12": hits': {
      find: 'logs',
      filter: search(/(?:^|[^a-z0-9])order 12/, ['ord', 'ord 12']),
      ...hits,
    },
    'search "processed" (every line): hits': {
      find: 'logs',
      filter: search(/(?:^|[^a-z0-9])processed/, ['pro']),
      ...hits,
    },
    'level >= warn + "order 12": hits': {
      find: 'logs',
      filter: search(/(?:^|[^a-z0-9])order 12/, ['ord', 'ord 12'], { severity: { $gte: 30 } }),
      ...hits,
    },
    'count "ord 12" term, limit 10,001': {
      count: 'logs',
      query: { installation_id: 'bench-a', terms: 'ord 12', at: since },
      limit: 10_001,
    },
    'count level >= warn, limit 10,001': {
      count: 'logs',
      query: { installation_id: 'bench-a', severity: { $gte: 30 }, at: since },
      limit: 10_001,
    },
  };
  const executor = async (): Promise<{ keys: number; docs: number }> => {
    const status = await run({ serverStatus: 1 });
    const q = (status.metrics as { queryExecutor: { scanned?: unknown; scannedObjects: unknown } }).queryExecutor;
    return { keys: Number(q.scanned ?? NaN), docs: Number(q.scannedObjects) };
  };
  const returned = (reply: Doc): number => {
    if (typeof reply.n === 'number') return reply.n;
    return ((reply.cursor as { firstBatch: unknown[] }).firstBatch ?? []).length;
  };
  const samples = new Map<string, number[]>(Object.keys(queries).map((name) => [name, []]));
  const work = new Map<string, { keys: number; docs: number; returned: number }>();
  for (let r = 0; r <= rounds; r++) {
    for (const [name, cmd] of Object.entries(queries)) {
      const before = await executor();
      let reply: Doc = {};
      const cpu = await cpuPerOp(async () => {
        reply = await run(cmd);
      }, 1);
      const after = await executor();
      if (r === 0) continue;
      samples.get(name)?.push(cpu);
      work.set(name, { keys: after.keys - before.keys, docs: after.docs - before.docs, returned: returned(reply) });
    }
  }
  engine.stop();
  return [...samples].map(([name, cpu]) => ({
    query: name,
    'µs CPU (median)': median(cpu).toFixed(0),
    keys: work.get(name)?.keys ?? NaN,
    docs: work.get(name)?.docs ?? NaN,
    returned: work.get(name)?.returned ?? NaN,
  }));
}

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'logs') {
    const table = await logRows();
    console.log(`\nEmbedded MongoDB engine: plugin-logs queries (node ${process.version}, load ${loadLine()})\n`);
    console.table(table);
    return;
  }
  if (process.env.BENCH_ONLY === 'commands') {
    const table = await commandRows();
    console.log(`\nEmbedded MongoDB engine: CPU per command (node ${process.version}, load ${loadLine()})\n`);
    console.table(table);
    return;
  }
  if (process.env.BENCH_ONLY === 'projection') {
    const table = await projectionRows();
    console.log(`\nEmbedded MongoDB engine: projection CPU (node ${process.version}, load ${loadLine()})\n`);
    console.table(table);
    return;
  }
  const server = await EmbeddedMongoServer.start();
  const conn = await mongoose.createConnection(server.uri, { dbName: 'bench' }).asPromise();
  const Item = conn.model(
    'Item',
    new mongoose.Schema({ name: String, n: Number, email: { type: String, unique: true } }, { autoIndex: true }),
  );
  await Item.init();

  // Warm up the JIT and connections.
  for (let i = 0; i < 500; i++) await Item.create({ name: 'warm', n: i, email: `warm${i}@x` });
  const warmIds = (await Item.find({}, { _id: 1 }).lean()).map((d) => d._id);
  for (let i = 0; i < 500; i++) await Item.findById(warmIds[i % warmIds.length]).lean();

  await measure('mongoose insert (sequential)', OPS, 1, (i) => Item.create({ name: 'seq', n: i, email: `s${i}@x` }));
  await measure(`mongoose insert (${CONCURRENCY} concurrent)`, OPS, CONCURRENCY, (i) =>
    Item.create({ name: 'conc', n: i, email: `c${i}@x` }),
  );
  const ids = (await Item.find({}, { _id: 1 }).lean()).map((d) => d._id);
  await measure('mongoose findById (sequential)', OPS, 1, (i) => Item.findById(ids[(i * 7919) % ids.length]).lean());
  await measure(`mongoose findById (${CONCURRENCY} concurrent)`, OPS, CONCURRENCY, (i) =>
    Item.findById(ids[(i * 7919) % ids.length]).lean(),
  );
  await measure('mongoose findById hydrated (sequential)', OPS, 1, (i) => Item.findById(ids[(i * 7919) % ids.length]));

  // 100k documents with a unique index on email.
  const client = new MongoClient(server.uri);
  await client.connect();
  const users = client.db('bench').collection('users');
  await users.createIndex({ email: 1 }, { unique: true });
  const loadStart = performance.now();
  for (let base = 0; base < DOCS; base += 1000) {
    await users.insertMany(
      Array.from({ length: Math.min(1000, DOCS - base) }, (_, k) => ({
        email: `user${base + k}@example.com`,
        name: `User ${base + k}`,
        age: (base + k) % 97,
      })),
    );
  }
  const loadSecs = (performance.now() - loadStart) / 1000;
  rows.push({
    benchmark: `driver insertMany ${DOCS.toLocaleString('en-US')} docs (batches of 1000)`,
    'ops/s': Math.round(DOCS / loadSecs).toLocaleString('en-US'),
    'median ms': '-',
    'p99 ms': '-',
  });

  const pick = (i: number): string => `user${(i * 7919) % DOCS}@example.com`;
  timings.clear();
  recording = true;
  await measure(`driver findOne by unique email @${DOCS / 1000}k (sequential)`, OPS, 1, (i) =>
    users.findOne({ email: pick(i) }),
  );
  recording = false;
  const engineIndexed = timings.get('find') ?? [];
  await measure(`driver findOne by unique email @${DOCS / 1000}k (${CONCURRENCY} concurrent)`, OPS, CONCURRENCY, (i) =>
    users.findOne({ email: pick(i) }),
  );
  await measure(`mongoose findOne by unique email @${DOCS / 1000}k (sequential)`, OPS, 1, (i) =>
    conn.collection('users').findOne({ email: pick(i) }),
  );

  // For contrast: the same lookup on an unindexed field has to scan.
  timings.clear();
  recording = true;
  await measure(`driver findOne by unindexed name @${DOCS / 1000}k (sequential)`, 50, 1, (i) =>
    users.findOne({ name: `User ${(i * 7919) % DOCS}` }),
  );
  recording = false;
  const engineScan = timings.get('find') ?? [];

  // Durable mode: every acknowledged insert is fsynced; concurrent inserts share fsyncs (group commit).
  const dataDir = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-bench-'));
  const durable = await EmbeddedMongoServer.start({ dataDir });
  const dconn = await mongoose.createConnection(durable.uri, { dbName: 'bench' }).asPromise();
  const DItem = dconn.model('Item', new mongoose.Schema({ name: String, n: Number }));
  await DItem.createCollection();
  const durableOps = Math.min(OPS, 2000);
  await measure('mongoose insert, durable (sequential)', durableOps, 1, (i) => DItem.create({ name: 'd', n: i }));
  await measure(`mongoose insert, durable (${CONCURRENCY} concurrent)`, durableOps, CONCURRENCY, (i) =>
    DItem.create({ name: 'd', n: i }),
  );
  await dconn.close();
  await durable.stop();
  rmSync(dataDir, { recursive: true, force: true });

  const projection = await projectionRows();
  console.log(
    `\nEmbedded MongoDB engine benchmark (node ${process.version}, ${OPS} ops per row, load ${loadLine()})\n`,
  );
  console.table(rows);
  console.table([
    {
      measurement: `engine-internal find, unique index, ${DOCS.toLocaleString('en-US')} docs`,
      'median ms': median(engineIndexed).toFixed(4),
      'p99 ms': percentile(engineIndexed, 0.99).toFixed(4),
      samples: engineIndexed.length,
    },
    {
      measurement: `engine-internal find, no index (scan), ${DOCS.toLocaleString('en-US')} docs`,
      'median ms': median(engineScan).toFixed(4),
      'p99 ms': percentile(engineScan, 0.99).toFixed(4),
      samples: engineScan.length,
    },
  ]);

  console.table(projection);
  console.table(await commandRows());

  await client.close();
  await conn.close();
  await server.stop();
}

function loadLine(): string {
  return loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');
}

await main();
