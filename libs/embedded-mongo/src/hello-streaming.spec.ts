import { Long, ObjectId, type Document } from 'bson';
import { MongoClient, type ServerHeartbeatSucceededEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './engine.js';
import { EmbeddedMongoServer } from './index.js';
import { WireServer, type Logger } from './server.js';
import { newRequestId, opMsg, RawConnection } from './testing/raw-wire.js';

/**
 * Streaming server monitoring (SDAM's awaitable hello): the driver's default monitor sends an awaitable hello with
 * OP_MSG `exhaustAllowed` and expects a stream of replies flagged `moreToCome`; any reply without the flag, or a
 * closed stream, counts as a failed heartbeat and clears the connection pool.
 */

const MORE_TO_COME = 1 << 1;
const EXHAUST_ALLOWED = 1 << 16;
/** Generous bound for one reply on a loaded machine (the verdicts below never depend on it). */
const REPLY_WAIT_MS = 20_000;

interface LogLine {
  level: 'warn' | 'error';
  msg: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  return {
    info: () => undefined,
    warn: (msg) => lines.push({ level: 'warn', msg }),
    error: (msg) => lines.push({ level: 'error', msg }),
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Connections the engine counts, through a polling client whose own connections are known (monitor + 1 pooled). */
async function openConnections(probe: MongoClient): Promise<number> {
  const status = await probe.db('admin').command({ serverStatus: 1 });
  return (status.connections as { current: number }).current;
}

describe('hello streaming (exhaust) through the driver with its default monitoring mode', () => {
  let server: EmbeddedMongoServer;
  const log: LogLine[] = [];
  let probe: MongoClient;

  beforeAll(async () => {
    server = await EmbeddedMongoServer.start({ logger: recordingLogger(log) });
    probe = new MongoClient(server.uri, { serverMonitoringMode: 'poll', maxPoolSize: 1, directConnection: true });
    await probe.connect();
  });
  afterAll(async () => {
    await probe?.close();
    await server?.stop();
  });

  it('keeps the pool over many awaited heartbeats, and a closed client ends the stream quietly', async () => {
    const baseline = await openConnections(probe);
    const client = new MongoClient(server.uri, { heartbeatFrequencyMS: 100 });
    const awaited: ServerHeartbeatSucceededEvent[] = [];
    const failed: unknown[] = [];
    let cleared = 0;
    client.on('serverHeartbeatSucceeded', (e) => {
      if (e.awaited) awaited.push(e);
    });
    client.on('serverHeartbeatFailed', (e) => failed.push(e.failure));
    client.on('connectionPoolCleared', () => cleared++);
    try {
      await client.connect();
      const c = client.db('streaming').collection('c');
      await c.insertOne({ n: 0 });
      // Operations keep running on pooled connections while the monitor's stream goes on.
      for (let n = 1; awaited.length < 8 && failed.length === 0 && cleared === 0; n++) {
        await c.updateMany({}, { $set: { n } });
        await pause(20);
      }
      expect(failed).toEqual([]);
      expect(cleared).toBe(0);
      expect(awaited.every((e) => e.reply.topologyVersion !== undefined && e.reply.isWritablePrimary === true)).toBe(
        true,
      );
      expect(await c.countDocuments()).toBe(1);
    } finally {
      await client.close();
    }
    // Every connection of the closed client goes away (the monitor's stream too), with nothing logged.
    while ((await openConnections(probe)) > baseline) await pause(20);
    expect(await openConnections(probe)).toBe(baseline);
    expect(log).toEqual([]);
    expect(failed).toEqual([]);
  });
});

describe('hello streaming on the wire', () => {
  let server: EmbeddedMongoServer;
  let tv: Document;

  beforeAll(async () => {
    server = await EmbeddedMongoServer.start();
    const c = await RawConnection.open(server.port);
    tv = (await c.command({ hello: 1, $db: 'admin' })).topologyVersion as Document;
    c.destroy();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('streams an exhaust-allowed awaitable hello: every reply has moreToCome and answers the one before', async () => {
    const c = await RawConnection.open(server.port);
    const requestId = newRequestId();
    c.send(
      opMsg({ hello: 1, topologyVersion: tv, maxAwaitTimeMS: 30, $db: 'admin' }, { flags: EXHAUST_ALLOWED, requestId }),
    );
    let responseTo = requestId;
    for (let i = 0; i < 4; i++) {
      const f = await c.next(REPLY_WAIT_MS);
      expect(f.flags & MORE_TO_COME).toBe(MORE_TO_COME);
      expect(f.responseTo).toBe(responseTo);
      expect(f.doc).toMatchObject({ ok: 1, isWritablePrimary: true, topologyVersion: tv });
      responseTo = f.requestId;
    }
    c.destroy();
  });

  it('answers exhaust-allowed commands that cannot stream once, without moreToCome', async () => {
    const c = await RawConnection.open(server.port);
    for (const doc of [
      { hello: 1, $db: 'admin' },
      { ping: 1, $db: 'admin' },
      { hello: 1, topologyVersion: tv, $db: 'admin' },
    ]) {
      const requestId = newRequestId();
      c.send(opMsg(doc, { flags: EXHAUST_ALLOWED, requestId }));
      const f = await c.next(REPLY_WAIT_MS);
      expect(f.responseTo).toBe(requestId);
      expect(f.flags & MORE_TO_COME).toBe(0);
    }
    c.destroy();
  });

  it('answers an awaitable hello without exhaustAllowed once, then serves the next request', async () => {
    const c = await RawConnection.open(server.port);
    const reply = await c.command({ isMaster: 1, topologyVersion: tv, maxAwaitTimeMS: 30, $db: 'admin' });
    expect(reply).toMatchObject({ ok: 1, ismaster: true, topologyVersion: tv });
    expect(await c.command({ ping: 1, $db: 'admin' })).toMatchObject({ ok: 1 });
    c.destroy();
  });

  it('answers at once for another process or an older counter (the wait would outlast the test)', async () => {
    const c = await RawConnection.open(server.port);
    const hour = 3_600_000;
    const other = { processId: new ObjectId(), counter: Long.fromNumber(7) };
    expect(await c.command({ hello: 1, topologyVersion: other, maxAwaitTimeMS: hour, $db: 'admin' })).toMatchObject({
      ok: 1,
      topologyVersion: tv,
    });
    expect(await c.command({ hello: 1, topologyVersion: tv, maxAwaitTimeMS: 0, $db: 'admin' })).toMatchObject({
      ok: 1,
    });
    c.destroy();
  });

  it('refuses malformed awaitable hellos with the codes a replica-set mongod gives', async () => {
    const c = await RawConnection.open(server.port);
    const pid = tv.processId as ObjectId;
    const cases: [Document, number][] = [
      [{ topologyVersion: tv }, 31368],
      [{ maxAwaitTimeMS: 0 }, 31368],
      [{ topologyVersion: 'v1', maxAwaitTimeMS: 0 }, 10065],
      [{ topologyVersion: { processId: pid }, maxAwaitTimeMS: 0 }, 40414],
      [{ topologyVersion: { counter: Long.fromNumber(0) }, maxAwaitTimeMS: 0 }, 40414],
      [{ topologyVersion: { ...tv, extra: 1 }, maxAwaitTimeMS: 0 }, 40415],
      [{ topologyVersion: { processId: 'pid1', counter: Long.fromNumber(0) }, maxAwaitTimeMS: 0 }, 14],
      [{ topologyVersion: tv, maxAwaitTimeMS: 'soon' }, 14],
      [{ topologyVersion: tv, maxAwaitTimeMS: -1 }, 31373],
      [{ topologyVersion: { processId: pid, counter: Long.fromNumber(-1) }, maxAwaitTimeMS: 0 }, 31372],
      [{ topologyVersion: { processId: pid, counter: Long.fromNumber(1) }, maxAwaitTimeMS: 0 }, 31382],
    ];
    for (const name of ['hello', 'isMaster', 'ismaster']) {
      for (const [fields, code] of cases) {
        expect(await c.command({ [name]: 1, ...fields, $db: 'admin' })).toMatchObject({ ok: 0, code });
      }
    }
    c.destroy();
  });
});

describe('hello streaming at shutdown', () => {
  it('ends a waiting stream at once with ShutdownInProgress and the next topologyVersion', async () => {
    const engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs' });
    const wire = new WireServer(engine);
    const port = await wire.listen('127.0.0.1', 0);
    try {
      const c = await RawConnection.open(port);
      const tv = (await c.command({ hello: 1, $db: 'admin' })).topologyVersion as { processId: ObjectId };
      const requestId = newRequestId();
      c.send(
        opMsg(
          { hello: 1, topologyVersion: tv, maxAwaitTimeMS: 3_600_000, $db: 'admin' },
          { flags: EXHAUST_ALLOWED, requestId },
        ),
      );
      // Waiting for an hour, or read only after stop(): either way the answer is the same, at once.
      engine.stop();
      const f = await c.next(REPLY_WAIT_MS);
      expect(f.responseTo).toBe(requestId);
      expect(f.flags & MORE_TO_COME).toBe(0);
      expect(f.doc).toMatchObject({
        ok: 0,
        code: 91,
        codeName: 'ShutdownInProgress',
        topologyVersion: { processId: tv.processId, counter: 1 },
      });
      c.destroy();
    } finally {
      engine.stop();
      await wire.close();
    }
  });
});
