import { BSON, Long, UUID } from 'bson';
import fc from 'fast-check';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedMongoServer } from './index.js';
import {
  header,
  newRequestId,
  OP_MSG,
  OP_QUERY,
  OP_REPLY,
  opMsg,
  opQuery,
  RawConnection,
  withChecksum,
} from './testing/raw-wire.js';

/** Raw-socket tests: hand-built wire messages (testing/raw-wire.ts), checked against what the protocol says. */

describe('bad input on the wire', () => {
  let server: EmbeddedMongoServer;
  let client: MongoClient;

  beforeAll(async () => {
    server = await EmbeddedMongoServer.start();
    client = new MongoClient(server.uri);
    await client.connect();
  });

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  /** The healthy connection must keep working after every abuse. */
  async function healthy(): Promise<void> {
    expect((await client.db('admin').command({ ping: 1 })).ok).toBe(1);
  }

  it('answers unknown commands with CommandNotFound and keeps the connection', async () => {
    const c = await RawConnection.open(server.port);
    const reply = await c.command({ frobnicate: 1, $db: 'admin' });
    expect(reply).toMatchObject({ ok: 0, code: 59, codeName: 'CommandNotFound' });
    expect((await c.command({ ping: 1, $db: 'admin' })).ok).toBe(1);
    c.destroy();
    await healthy();
  });

  it('answers invalid BSON and inconsistent section lengths with errors, without dropping the connection', async () => {
    const c = await RawConnection.open(server.port);
    // A document whose length prefix runs past the end of the message.
    const bad = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
    bad.writeInt32LE(bad.length + 50, 0);
    c.send(opMsg(bad));
    expect((await c.next()).doc).toMatchObject({ ok: 0, code: 22 });
    // A well-framed document with an invalid element type byte.
    const garbled = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
    garbled[4] = 0x77;
    c.send(opMsg(garbled));
    expect((await c.next()).doc).toMatchObject({ ok: 0, code: 22 });
    // An unknown section kind.
    const msg = opMsg({ ping: 1, $db: 'admin' });
    msg[20] = 9;
    c.send(msg);
    expect((await c.next()).doc).toMatchObject({ ok: 0, code: 9 });
    // Unknown required flag bit.
    c.send(opMsg({ ping: 1, $db: 'admin' }, { flags: 1 << 5 }));
    expect((await c.next()).doc.ok).toBe(0);
    expect((await c.command({ ping: 1, $db: 'admin' })).ok).toBe(1);
    c.destroy();
    await healthy();
  });

  it('closes the connection on an invalid or oversized length header, like mongod', async () => {
    for (const length of [4, 15, 48_000_001, 0x7fffffff, -1]) {
      const c = await RawConnection.open(server.port);
      const h = header(16, OP_MSG, newRequestId());
      h.writeInt32LE(length, 0);
      c.send(h);
      expect(await c.waitClosed()).toBe(true);
      await healthy();
    }
  });

  it('closes the connection for an unsupported opCode', async () => {
    const c = await RawConnection.open(server.port);
    const h = header(20, 2010, newRequestId());
    c.send(Buffer.concat([h, Buffer.alloc(4)]));
    expect(await c.waitClosed()).toBe(true);
    await healthy();
  });

  it('survives a truncated message whose sender hangs up, and one that never completes', async () => {
    const full = opMsg({ insert: 'trunc', documents: [{ a: 1 }], $db: 'bad' });
    const a = await RawConnection.open(server.port);
    a.send(full.subarray(0, 25));
    a.end();
    const b = await RawConnection.open(server.port);
    b.send(full.subarray(0, full.length - 3)); // waits forever for the rest
    await new Promise((r) => setTimeout(r, 50));
    await healthy();
    expect(await client.db('bad').collection('trunc').countDocuments()).toBe(0);
    // Completing the message later is fine: framing is by length.
    b.send(full.subarray(full.length - 3));
    expect((await b.next()).doc).toMatchObject({ ok: 1, n: 1 });
    b.destroy();
  });

  it('rejects a command document over the BSON size limit', async () => {
    const c = await RawConnection.open(server.port);
    // Hand-encoded: { ping: 1, $db: 'admin', pad: <17 MiB string> } (the bson encoder refuses to build it).
    const head = Buffer.from(BSON.serialize({ ping: 1, $db: 'admin' }));
    const pad = Buffer.alloc(17 * 1024 * 1024, 0x78);
    const field = Buffer.concat([Buffer.from([0x02]), Buffer.from('pad\0'), Buffer.alloc(4), pad, Buffer.from([0])]);
    field.writeInt32LE(pad.length + 1, 5);
    const doc = Buffer.concat([head.subarray(0, head.length - 1), field, Buffer.from([0])]);
    doc.writeInt32LE(doc.length, 0);
    const requestId = newRequestId();
    c.send(opMsg(doc, { requestId }));
    const reply = (await c.next(5000)).doc;
    expect(reply.ok).toBe(0);
    expect(reply.code).toBe(10334);
    c.destroy();
    await healthy();
  });

  it('verifies OP_MSG checksums', async () => {
    const c = await RawConnection.open(server.port);
    c.send(withChecksum(opMsg({ ping: 1, $db: 'admin' })));
    expect((await c.next()).doc.ok).toBe(1);
    c.send(withChecksum(opMsg({ ping: 1, $db: 'admin' }), true));
    expect((await c.next()).doc.ok).toBe(0);
    c.destroy();
  });

  it('merges document sequences and sends nothing back for moreToCome', async () => {
    const c = await RawConnection.open(server.port);
    c.send(
      opMsg({ insert: 'seq', $db: 'bad' }, { flags: 2, sequences: [['documents', [{ k: 1 }, { k: 2 }, { k: 3 }]]] }),
    );
    const pingId = newRequestId();
    c.send(opMsg({ ping: 1, $db: 'admin' }, { requestId: pingId }));
    const reply = await c.next();
    expect(reply.responseTo).toBe(pingId);
    expect(await client.db('bad').collection('seq').countDocuments()).toBe(3);
    c.destroy();
  });

  it('never crashes on random bytes, random bodies behind valid headers, or mutated valid messages', async () => {
    const valid = opMsg({ insert: 'fuzz', documents: [{ a: 1, b: 'x', c: [1, { d: 2 }] }], $db: 'bad' });
    const cases = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b)),
        fc
          .tuple(fc.constantFrom(OP_MSG, OP_QUERY, 2012, 1), fc.uint8Array({ maxLength: 80 }))
          .map(([op, body]) => Buffer.concat([header(16 + body.length, op, newRequestId()), Buffer.from(body)])),
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }).map((edits) => {
          const m = Buffer.from(valid);
          for (const [at, byte] of edits) if (at >= 4) m[at] = byte; // keep the length so framing holds
          return m;
        }),
      ),
      { numRuns: 150, seed: 42 },
    );
    for (const bytes of cases) {
      const c = await RawConnection.open(server.port);
      c.send(bytes);
      await new Promise((r) => setTimeout(r, 5));
      c.destroy();
    }
    await healthy();
    // Every reply a fuzzed connection could have received was a well-formed frame (parseFrame asserts that).
  });

  it('answers the legacy OP_QUERY handshake with OP_REPLY and refuses other OP_QUERY commands', async () => {
    const c = await RawConnection.open(server.port);
    c.send(opQuery('admin.$cmd', { isMaster: 1, helloOk: true }));
    const hello = await c.next();
    expect(hello.opCode).toBe(OP_REPLY);
    expect(hello.doc).toMatchObject({ ok: 1, ismaster: true, helloOk: true, setName: 'plughub', maxWireVersion: 21 });
    expect(hello.doc.hosts).toEqual([`127.0.0.1:${server.port}`]);
    c.send(opQuery('bad.things', { find: 'x' }));
    const refused = await c.next();
    expect(refused.opCode).toBe(OP_REPLY);
    expect(refused.doc.ok).toBe(0);
    c.destroy();
    await healthy();
  });

  it('applies a retried retryable write once (same lsid and txnNumber)', async () => {
    const c = await RawConnection.open(server.port);
    const lsid = { id: new UUID() };
    const cmd = { insert: 'retry', documents: [{ n: 1 }], lsid, txnNumber: Long.fromNumber(7), $db: 'bad' };
    expect(await c.command(cmd)).toMatchObject({ ok: 1, n: 1 });
    expect(await c.command({ ...cmd, documents: [{ n: 1 }] })).toMatchObject({ ok: 1, n: 1 });
    expect(await client.db('bad').collection('retry').countDocuments()).toBe(1);
    expect(await c.command({ ...cmd, txnNumber: Long.fromNumber(8) })).toMatchObject({ ok: 1, n: 1 });
    expect(await client.db('bad').collection('retry').countDocuments()).toBe(2);
    c.destroy();
  });

  it('reports per-item write errors and stops ordered batches at the first', async () => {
    const c = await RawConnection.open(server.port);
    const r = await c.command({
      insert: 'items',
      documents: [{ _id: 1 }, { _id: 1 }, { _id: 2 }],
      ordered: true,
      $db: 'bad',
    });
    expect(r).toMatchObject({ ok: 1, n: 1 });
    expect(r.writeErrors).toHaveLength(1);
    expect((r.writeErrors as unknown[])[0]).toMatchObject({
      index: 1,
      code: 11000,
      keyPattern: { _id: 1 },
      keyValue: { _id: 1 },
    });
    const u = await c.command({
      update: 'items',
      updates: [
        { q: { _id: 1 }, u: { $bogus: { a: 1 } } },
        { q: { _id: 1 }, u: { $set: { a: 1 } } },
      ],
      ordered: false,
      $db: 'bad',
    });
    expect(u.writeErrors).toHaveLength(1);
    expect((u.writeErrors as unknown[])[0]).toMatchObject({ index: 0, code: 9 });
    expect(u.nModified).toBe(1);
    c.destroy();
  });
});
