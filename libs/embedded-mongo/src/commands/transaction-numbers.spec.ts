import { Long, UUID } from 'bson';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import { commandRunner } from '../testing/engine-harness.js';
import type { Doc } from '../paths.js';

describe('transaction numbers against the state of the session transaction', () => {
  let engine: Engine;
  const lsid = { id: new UUID() };
  const run = commandRunner(() => engine, 'txn');
  const inTxn = (n: number, cmd: Doc, start = false): Promise<Doc> =>
    run({ ...cmd, lsid, txnNumber: Long.fromNumber(n), autocommit: false, ...(start && { startTransaction: true }) });
  const runAdmin = commandRunner(() => engine, 'admin');
  const admin = (n: number, verb: 'commitTransaction' | 'abortTransaction'): Promise<Doc> =>
    runAdmin({ [verb]: 1, lsid, txnNumber: Long.fromNumber(n), autocommit: false });

  beforeEach(() => {
    engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs' });
  });
  afterEach(() => engine.stop());

  it('answers a committed transaction with 256 TransactionCommitted, except a retried commit', async () => {
    expect(await inTxn(1, { insert: 'ledger', documents: [{ _id: 'e1' }] }, true)).toMatchObject({ ok: 1 });
    expect(await admin(1, 'commitTransaction')).toMatchObject({ ok: 1 });

    const more = await inTxn(1, { insert: 'ledger', documents: [{ _id: 'e2' }] });
    expect(more).toMatchObject({ ok: 0, code: 256, codeName: 'TransactionCommitted' });
    expect(more.errorLabels).toBeUndefined();
    expect(await admin(1, 'abortTransaction')).toMatchObject({ ok: 0, code: 256 });
    expect(await admin(1, 'commitTransaction')).toMatchObject({ ok: 1 });
    expect(await inTxn(1, { insert: 'ledger', documents: [{ _id: 'e3' }] }, true)).toMatchObject({
      ok: 0,
      code: 50911,
    });
    const found = await run({ find: 'ledger', filter: {} });
    expect((found.cursor as { firstBatch: Doc[] }).firstBatch).toEqual([{ _id: 'e1' }]);
  });

  it('refuses an older number with 225, a newer one that starts nothing with 251, and restarts an aborted one', async () => {
    await inTxn(3, { insert: 'ledger', documents: [{ _id: 'a' }] }, true);
    expect(await inTxn(2, { find: 'ledger', filter: {} })).toMatchObject({ ok: 0, code: 225 });
    expect(await admin(2, 'commitTransaction')).toMatchObject({ ok: 0, code: 225 });
    expect(await admin(4, 'commitTransaction')).toMatchObject({
      ok: 0,
      code: 251,
      errorLabels: ['TransientTransactionError'],
    });

    expect(await admin(3, 'abortTransaction')).toMatchObject({ ok: 1 });
    expect(await inTxn(3, { insert: 'ledger', documents: [{ _id: 'b' }] }, true)).toMatchObject({ ok: 1, n: 1 });
    expect(await admin(3, 'commitTransaction')).toMatchObject({ ok: 1 });
    const found = await run({ find: 'ledger', filter: {} });
    expect((found.cursor as { firstBatch: Doc[] }).firstBatch).toEqual([{ _id: 'b' }]);
  });
});
