import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MongoClient } from 'mongodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EmbeddedMongoServer } from './index.js';

const CHILD = fileURLToPath(new URL('./testing/durable-child.ts', import.meta.url));

/**
 * Every process a test started, killed by afterEach if still running: a test that times out never reaches its own
 * cleanup, and its engine would keep running. A wrapper (below) leads its own process group, so killing the group
 * also kills the engines it started; the group is only signalled while the wrapper is alive (then its id is ours).
 */
const spawned: { child: ChildProcess; group: boolean }[] = [];
/** False between a test's end and the next test's start: a timed-out test body that runs on starts nothing more. */
let accepting = false;

function track(child: ChildProcess, group: boolean): void {
  spawned.push({ child, group });
  if (!accepting) killSpawned(child, group);
}

function killSpawned(child: ChildProcess, group: boolean): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  if (group) process.kill(-child.pid, 'SIGKILL');
  else child.kill('SIGKILL');
}

function startChild(dataDir: string): Promise<{ child: ChildProcess; uri: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    track(child, false);
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, uri: (JSON.parse(line) as { uri: string }).uri });
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${err}`)));
  });
}

interface ChildInfo {
  uri: string;
  pid: number;
  openMs: number;
}

/**
 * Starts the engine as the child of a shell that then execs `sleep`: sleep never reaps it, so once killed the
 * engine stays a zombie whose pid still answers kill(pid, 0), the state that used to keep its lock "alive".
 */
function startOrphanableChild(dataDir: string): Promise<{ wrapper: ChildProcess; info: ChildInfo }> {
  return new Promise((resolve, reject) => {
    const wrapper = spawn(
      '/bin/sh',
      ['-c', '"$0" --import tsx "$1" "$2" & exec sleep 300', process.execPath, CHILD, dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    track(wrapper, true);
    let out = '';
    let err = '';
    wrapper.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line) return;
      const parsed = JSON.parse(line) as ChildInfo & { error?: string; message?: string };
      if (parsed.error) reject(new Error(`engine did not start: ${parsed.error}: ${parsed.message ?? ''}`));
      else resolve({ wrapper, info: parsed });
    });
    wrapper.stderr.on('data', (d: Buffer) => (err += d.toString()));
    wrapper.on('exit', (code) => reject(new Error(`wrapper exited early (${code}): ${err}`)));
  });
}

/** The state letter of /proc/<pid>/stat (R, S, Z, …), or undefined once the pid is gone. */
function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

function journalFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.startsWith('journal-'))
    .sort()
    .map((n) => path.join(dir, n));
}

describe('durability', () => {
  const dirs: string[] = [];
  const tempDir = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'embedded-mongo-'));
    dirs.push(d);
    return d;
  };
  beforeEach(() => {
    accepting = true;
  });
  afterEach(() => {
    accepting = false;
    for (const { child, group } of spawned.splice(0)) killSpawned(child, group);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged write when the process is SIGKILLed mid-stream', async () => {
    const dataDir = tempDir();
    const { child, uri } = await startChild(dataDir);
    // While the child holds the directory, a second open must fail clearly.
    await expect(EmbeddedMongoServer.start({ dataDir })).rejects.toThrow(/already in use by process/);

    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, retryWrites: false });
    await client.connect();
    const events = client.db('crash').collection('events');
    const counters = client.db('crash').collection('counters');
    await events.createIndex({ seq: 1 }, { unique: true });
    await counters.insertOne({ _id: 'c', n: 0 } as never);

    const accounts = client.db('crash').collection('accounts');
    await accounts.insertMany([
      { _id: 'a', balance: 1000 },
      { _id: 'b', balance: 0 },
    ] as never[]);

    const acked: number[] = [];
    let incAcked = 0;
    let transfersAcked = 0;
    let stop = false;
    // Transactions moving one unit from a to b: after the crash the total must be intact (atomic commits).
    const transfers = async (): Promise<void> => {
      while (!stop) {
        const session = client.startSession();
        try {
          await session.withTransaction(async () => {
            await accounts.updateOne({ _id: 'a' } as never, { $inc: { balance: -1 } }, { session });
            await accounts.updateOne({ _id: 'b' } as never, { $inc: { balance: 1 } }, { session });
          });
          transfersAcked++;
        } catch {
          return;
        } finally {
          await session.endSession().catch(() => undefined);
        }
      }
    };
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const seq = w * 1_000_000 + i;
        try {
          await events.insertOne({ seq, payload: 'x'.repeat(100) });
          acked.push(seq);
          if (i % 5 === 0) {
            await counters.updateOne({ _id: 'c' } as never, { $inc: { n: 1 } });
            incAcked++;
          }
        } catch {
          return; // the server died under us
        }
      }
    };
    const writers = [...Array.from({ length: 8 }, (_, w) => writer(w)), transfers()];
    while (acked.length < 400) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    stop = true;
    // Closing the client makes in-flight operations fail at once instead of retrying against a dead server.
    await client.close(true);
    await Promise.all(writers);
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r),
    );

    const server = await EmbeddedMongoServer.start({ dataDir });
    const c2 = new MongoClient(server.uri);
    try {
      const seqs = new Set(
        (
          await c2
            .db('crash')
            .collection('events')
            .find({}, { projection: { seq: 1 } })
            .toArray()
        ).map((d) => d.seq as number),
      );
      const missing = acked.filter((s) => !seqs.has(s));
      expect(missing).toEqual([]);
      const counter = await c2
        .db('crash')
        .collection('counters')
        .findOne({ _id: 'c' } as never);
      expect(counter!.n).toBeGreaterThanOrEqual(incAcked);
      const [a, b] = await c2.db('crash').collection('accounts').find({}).sort({ _id: 1 }).toArray();
      expect(a.balance + b.balance).toBe(1000);
      expect(b.balance).toBeGreaterThanOrEqual(transfersAcked);
      expect(transfersAcked).toBeGreaterThan(0);
      // The unique index survived the crash too.
      await expect(c2.db('crash').collection('events').insertOne({ seq: acked[0] })).rejects.toMatchObject({
        code: 11000,
      });
    } finally {
      await c2.close();
      await server.stop();
    }
  }, 60_000);

  it.skipIf(process.platform !== 'linux')(
    'restarts at once after each of 20 SIGKILLs, while the killed engine is still an unreaped zombie, losing no acknowledged write',
    async () => {
      const dataDir = tempDir();
      const acked: string[] = [];
      const openTimes: number[] = [];
      // The wrappers, each holding one zombie, and the last engine are killed with their groups by afterEach.
      let { info } = await startOrphanableChild(dataDir);
      for (let round = 1; round <= 20; round++) {
        const client = new MongoClient(info.uri, { serverSelectionTimeoutMS: 5000, retryWrites: false });
        await client.connect();
        const docs = client.db('restarts').collection<{ _id: string; round: number }>('docs');
        // Everything acknowledged before this round's kill must be there after the restart.
        expect(await docs.countDocuments({ _id: { $in: acked } })).toBe(acked.length);
        let stop = false;
        const writer = async (w: number): Promise<void> => {
          for (let i = 0; !stop; i++) {
            const _id = `${round}-${w}-${i}`;
            try {
              await docs.insertOne({ _id, round }, { writeConcern: { w: 1, j: true } });
              acked.push(_id);
            } catch {
              return; // killed under us
            }
          }
        };
        const before = acked.length;
        const writers = Array.from({ length: 4 }, (_, w) => writer(w));
        while (acked.length < before + 20) await new Promise((r) => setTimeout(r, 2));
        process.kill(info.pid, 'SIGKILL');
        stop = true;
        await client.close(true);
        await Promise.all(writers);
        // Dead but not reaped: the pid still exists as a zombie.
        while (procState(info.pid) !== 'Z') await new Promise((r) => setTimeout(r, 2));
        ({ info } = await startOrphanableChild(dataDir));
        openTimes.push(info.openMs);
      }
      const client = new MongoClient(info.uri, { serverSelectionTimeoutMS: 5000 });
      try {
        const docs = client.db('restarts').collection<{ _id: string }>('docs');
        expect(await docs.countDocuments({ _id: { $in: acked } })).toBe(acked.length);
      } finally {
        await client.close();
      }
      openTimes.sort((a, b) => a - b);
      console.info(
        `embedded-mongo restarts: ${openTimes.length} after SIGKILL, ${acked.length} acknowledged writes kept; ` +
          `open ms median ${openTimes[10].toFixed(1)}, max ${openTimes[19].toFixed(1)}`,
      );
      // Generous bound: the failure this guards against is a refusal for up to 30 s.
      expect(openTimes[19]).toBeLessThan(2000);
      process.kill(info.pid, 'SIGKILL');
    },
    480_000,
  );

  it('truncates a torn or corrupt journal tail on open and keeps the rest', async () => {
    const dataDir = tempDir();
    let server = await EmbeddedMongoServer.start({ dataDir });
    let client = new MongoClient(server.uri);
    await client
      .db('t')
      .collection('docs')
      .insertMany(Array.from({ length: 50 }, (_, i) => ({ i })));
    await client.db('t').collection('docs').insertOne({ i: 50 });
    await client.close();
    await server.stop();

    // Cut the last record in half: it was acknowledged, but we simulate a torn write of the final record.
    const [journal] = journalFiles(dataDir).slice(-1);
    truncateSync(journal, statSync(journal).size - 7);
    // And garbage after it, as if a crash left random bytes.
    appendFileSync(journal, Buffer.from('this is not a journal record \x00\x01\x02 at all'));

    server = await EmbeddedMongoServer.start({ dataDir });
    client = new MongoClient(server.uri);
    const docs = client.db('t').collection('docs');
    expect(await docs.countDocuments()).toBe(50);
    expect(await docs.countDocuments({ i: 50 })).toBe(0);
    // New writes after the repair must survive the next open (they land after the truncated point).
    await docs.insertOne({ i: 'after-repair' });
    await client.close();
    await server.stop();

    server = await EmbeddedMongoServer.start({ dataDir });
    client = new MongoClient(server.uri);
    expect(await client.db('t').collection('docs').countDocuments()).toBe(51);
    expect(await client.db('t').collection('docs').countDocuments({ i: 'after-repair' })).toBe(1);
    await client.close();
    await server.stop();
  });

  it('compacts into a snapshot while writes continue, and reopens to identical contents', async () => {
    const dataDir = tempDir();
    let server = await EmbeddedMongoServer.start({ dataDir, compactThresholdBytes: 32 * 1024 });
    let client = new MongoClient(server.uri);
    const db = client.db('compact');
    await db.collection('a').createIndex({ k: 1 }, { unique: true });
    await db.collection('gone').insertOne({ x: 1 });
    await db.collection('gone').drop();
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < 60; i++) {
          await db.collection('a').insertOne({ k: w * 1000 + i, body: 'y'.repeat(200) });
          if (i % 3 === 0) await db.collection('a').updateOne({ k: w * 1000 + i }, { $set: { touched: true } });
          if (i % 10 === 0) await db.collection('a').deleteOne({ k: w * 1000 + i });
        }
      }),
    );
    const before = await db.collection('a').find({}).sort({ k: 1 }).toArray();
    await client.close();
    await server.stop();

    const files = readdirSync(dataDir);
    expect(files).toContain('snapshot.bson');
    expect(journalFiles(dataDir).length).toBe(1);

    server = await EmbeddedMongoServer.start({ dataDir });
    client = new MongoClient(server.uri);
    const after = await client.db('compact').collection('a').find({}).sort({ k: 1 }).toArray();
    expect(after).toEqual(before);
    expect(before.length).toBe(16 * 54);
    const collections = (await client.db('compact').listCollections().toArray()).map((c) => c.name);
    expect(collections).toEqual(['a']);
    await expect(client.db('compact').collection('a').insertOne({ k: 1 })).rejects.toMatchObject({ code: 11000 });
    await client.close();
    await server.stop();
  });

  it('detects a flipped byte inside a record by its CRC', async () => {
    const dataDir = tempDir();
    let server = await EmbeddedMongoServer.start({ dataDir });
    let client = new MongoClient(server.uri);
    for (let i = 0; i < 10; i++) await client.db('t').collection('c').insertOne({ i });
    await client.close();
    await server.stop();

    const [journal] = journalFiles(dataDir).slice(-1);
    const { openSync, readSync, writeSync, closeSync } = await import('node:fs');
    const fd = openSync(journal, 'r+');
    const size = statSync(journal).size;
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 3);
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, size - 3);
    closeSync(fd);

    server = await EmbeddedMongoServer.start({ dataDir });
    client = new MongoClient(server.uri);
    const n = await client.db('t').collection('c').countDocuments();
    expect(n).toBe(9);
    await client.close();
    await server.stop();
  });
});
