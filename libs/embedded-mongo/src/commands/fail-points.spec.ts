import { Long, UUID } from 'bson';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import { commandRunner } from '../testing/engine-harness.js';
import type { Doc } from '../paths.js';

describe('failCommand with a writeConcernError', () => {
  let engine: Engine;
  const lsid = { id: new UUID() };
  const run = commandRunner(() => engine, 'fp');
  const runAdmin = commandRunner(() => engine, 'admin');
  const failNextInsert = (data: Doc): Promise<Doc> =>
    runAdmin({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: ['insert'], ...data } });

  beforeEach(() => {
    engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs', enableTestCommands: true });
  });
  afterEach(() => engine.stop());

  it('labels a retryable write RetryableWriteError when the code is retryable, and answers its retry cleanly', async () => {
    await failNextInsert({ writeConcernError: { code: 189, errmsg: 'stepping down' } });
    const insert = { insert: 'orders', documents: [{ _id: 'o-1', qty: 4 }], lsid, txnNumber: Long.fromNumber(3) };
    const first = await run(insert);
    expect(first).toMatchObject({
      ok: 1,
      n: 1,
      writeConcernError: { code: 189 },
      errorLabels: ['RetryableWriteError'],
    });

    const retry = await run(insert);
    expect(retry).toMatchObject({ ok: 1, n: 1 });
    expect(retry.writeConcernError).toBeUndefined();
    expect(retry.errorLabels).toBeUndefined();
    const found = await run({ find: 'orders', filter: {} });
    expect((found.cursor as { firstBatch: Doc[] }).firstBatch).toEqual([{ _id: 'o-1', qty: 4 }]);
  });

  it("uses the fail point's own labels, and none for a code no retry is made on or a write that is not retryable", async () => {
    await failNextInsert({ errorLabels: ['Custom'], writeConcernError: { code: 100, errmsg: 'x' } });
    const labelled = await run({ insert: 'orders', documents: [{ _id: 1 }], lsid, txnNumber: Long.fromNumber(1) });
    expect(labelled).toMatchObject({ ok: 1, writeConcernError: { code: 100 }, errorLabels: ['Custom'] });

    await failNextInsert({ writeConcernError: { code: 100, errmsg: 'x' } });
    const notRetryableCode = await run({
      insert: 'orders',
      documents: [{ _id: 2 }],
      lsid,
      txnNumber: Long.fromNumber(2),
    });
    expect(notRetryableCode.writeConcernError).toMatchObject({ code: 100 });
    expect(notRetryableCode.errorLabels).toBeUndefined();

    await failNextInsert({ writeConcernError: { code: 91, errmsg: 'shutting down' } });
    const noSession = await run({ insert: 'orders', documents: [{ _id: 3 }] });
    expect(noSession.writeConcernError).toMatchObject({ code: 91 });
    expect(noSession.errorLabels).toBeUndefined();
  });

  it('labels errors in a transaction TransientTransactionError, and commit or abort errors as mongod does', async () => {
    const txn = (n: number) => ({ lsid, txnNumber: Long.fromNumber(n), autocommit: false });
    const failNext = (command: string, data: Doc): Promise<Doc> =>
      runAdmin({ configureFailPoint: 'failCommand', mode: { times: 1 }, data: { failCommands: [command], ...data } });

    await failNext('insert', { errorCode: 91 });
    const retryableInTxn = await run({ insert: 'orders', documents: [{ _id: 1 }], ...txn(1), startTransaction: true });
    expect(retryableInTxn).toMatchObject({ ok: 0, code: 91, errorLabels: ['TransientTransactionError'] });
    await failNext('insert', { errorCode: 112 });
    const conflict = await run({ insert: 'orders', documents: [{ _id: 2 }], ...txn(2), startTransaction: true });
    expect(conflict.errorLabels).toEqual(['TransientTransactionError']);
    await failNext('insert', { errorCode: 112 });
    expect((await run({ insert: 'orders', documents: [{ _id: 3 }] })).errorLabels).toBeUndefined();

    expect(await run({ insert: 'orders', documents: [{ _id: 4 }], ...txn(3), startTransaction: true })).toMatchObject({
      ok: 1,
    });
    await failNext('commitTransaction', { errorCode: 189 });
    expect(await runAdmin({ commitTransaction: 1, ...txn(3) })).toMatchObject({ errorLabels: ['RetryableWriteError'] });
    await failNext('commitTransaction', { errorCode: 251 });
    expect(await runAdmin({ commitTransaction: 1, ...txn(3) })).toMatchObject({
      code: 251,
      errorLabels: ['TransientTransactionError'],
    });
    await failNext('commitTransaction', { writeConcernError: { code: 91, errmsg: 'shutting down' } });
    expect(await runAdmin({ commitTransaction: 1, ...txn(3) })).toMatchObject({
      ok: 1,
      writeConcernError: { code: 91 },
      errorLabels: ['RetryableWriteError'],
    });
    const stored = await run({ find: 'orders', filter: {} });
    expect((stored.cursor as { firstBatch: Doc[] }).firstBatch).toEqual([{ _id: 4 }]);
  });
});
