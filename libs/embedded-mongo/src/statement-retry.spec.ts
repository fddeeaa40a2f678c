import { Long, UUID } from 'bson';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from './engine.js';
import { commandRunner, testConnection } from './testing/engine-harness.js';
import type { Doc } from './paths.js';

describe('retryable writes cut off by onPrimaryTransactionalWrite', () => {
  let engine: Engine;
  let closes = 0;
  const conn = testConnection(() => void closes++);
  const lsid = { id: new UUID() };
  const run = commandRunner(() => engine, 'stmts', conn);
  const runAdmin = commandRunner(() => engine, 'admin', conn);
  const stock = async (): Promise<Doc[]> => {
    const reply = await run({ find: 'stock', filter: {}, sort: { _id: 1 } });
    return (reply.cursor as { firstBatch: Doc[] }).firstBatch;
  };

  beforeEach(() => {
    engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs', enableTestCommands: true });
    closes = 0;
  });
  afterEach(() => engine.stop());

  it('closes the connection after the statement it catches, and the retry applies only the rest', async () => {
    await runAdmin({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: { times: 1 } });
    const insert = {
      insert: 'stock',
      documents: [{ _id: 'bolt' }, { _id: 'nut' }, { _id: 'washer' }],
      lsid,
      txnNumber: Long.fromNumber(4),
    };
    expect(await run(insert)).toEqual({});
    expect(closes).toBe(1);
    expect(await stock()).toEqual([{ _id: 'bolt' }]);

    expect(await run(insert)).toMatchObject({ ok: 1, n: 3, retriedStmtIds: [0] });
    expect(await stock()).toEqual([{ _id: 'bolt' }, { _id: 'nut' }, { _id: 'washer' }]);
    // Answered from the finished command's reply, applying nothing.
    expect(await run(insert)).toMatchObject({ ok: 1, n: 3, retriedStmtIds: [0, 1, 2] });
  });

  it('reports as retried only the statements a finished command applied', async () => {
    const insert = {
      insert: 'stock',
      documents: [{ _id: 'pin' }, { _id: 'pin' }, { _id: 'rivet' }],
      ordered: false,
      lsid,
      txnNumber: Long.fromNumber(6),
    };
    expect(await run(insert)).toMatchObject({ n: 2, writeErrors: [{ index: 1, code: 11000 }] });
    const retry = await run(insert);
    expect(retry).toMatchObject({ n: 2, retriedStmtIds: [0, 2] });
    const plain = await run({ insert: 'stock', documents: [{ _id: 'clip' }], lsid, txnNumber: Long.fromNumber(7) });
    expect(plain).not.toHaveProperty('retriedStmtIds');
  });

  it('does not apply the statement failBeforeCommitExceptionCode catches; applied ones are not applied again', async () => {
    await run({
      insert: 'stock',
      documents: [
        { _id: 'gear', qty: 1 },
        { _id: 'cog', qty: 1 },
      ],
    });
    await runAdmin({
      configureFailPoint: 'onPrimaryTransactionalWrite',
      mode: { skip: 1 },
      data: { failBeforeCommitExceptionCode: 1 },
    });
    const update = {
      update: 'stock',
      updates: [
        { q: { _id: 'gear' }, u: { $inc: { qty: 10 } } },
        { q: { _id: 'cog' }, u: { $inc: { qty: 10 } } },
        { q: { _id: 'spring' }, u: { $inc: { qty: 5 } }, upsert: true },
      ],
      lsid,
      txnNumber: Long.fromNumber(8),
    };
    expect(await run(update)).toEqual({});
    expect(await stock()).toEqual([
      { _id: 'cog', qty: 1 },
      { _id: 'gear', qty: 11 },
    ]);

    await runAdmin({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: 'off' });
    expect(await run(update)).toMatchObject({ ok: 1, n: 3, nModified: 2, upserted: [{ index: 2, _id: 'spring' }] });
    expect(await stock()).toEqual([
      { _id: 'cog', qty: 11 },
      { _id: 'gear', qty: 11 },
      { _id: 'spring', qty: 5 },
    ]);
  });

  it('catches a findAndModify too: applied once, its retry answered with the first reply', async () => {
    await run({ insert: 'stock', documents: [{ _id: 'axle', qty: 2 }] });
    await runAdmin({ configureFailPoint: 'onPrimaryTransactionalWrite', mode: { times: 1 } });
    const take = {
      findAndModify: 'stock',
      query: { _id: 'axle' },
      update: { $inc: { qty: -1 } },
      new: true,
      lsid,
      txnNumber: Long.fromNumber(12),
    };
    expect(await run(take)).toEqual({});
    expect(closes).toBe(1);
    expect(await run(take)).toMatchObject({ ok: 1, value: { _id: 'axle', qty: 1 } });
    expect(await stock()).toEqual([{ _id: 'axle', qty: 1 }]);
  });
});
