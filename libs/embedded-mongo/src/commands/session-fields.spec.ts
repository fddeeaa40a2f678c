import { Long, UUID } from 'bson';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../engine.js';
import type { Doc } from '../paths.js';
import { commandRunner } from '../testing/engine-harness.js';

describe('session fields of a command, checked as mongod parses them', () => {
  let engine: Engine;
  const run = commandRunner(() => engine, 'fields');
  const runAdmin = commandRunner(() => engine, 'admin');
  const lsid = { id: new UUID() };
  const n = (v: number): Long => Long.fromNumber(v);

  beforeEach(() => {
    engine = new Engine({ host: '127.0.0.1', port: 0, replSetName: 'rs', enableTestCommands: true });
  });
  afterEach(() => engine.stop());

  it('refuses inconsistent lsid / txnNumber / autocommit / startTransaction with their codes', async () => {
    const find = { find: 'shelf', filter: {} };
    const insert = { insert: 'shelf', documents: [{ _id: 'x' }] };
    const cases: [Doc, number][] = [
      [{ ...insert, txnNumber: n(1) }, 72],
      [{ ...insert, lsid, txnNumber: n(-1) }, 72],
      [{ ...find, lsid, autocommit: false }, 72],
      [{ ...find, lsid, txnNumber: n(2), autocommit: true }, 72],
      [{ ...find, lsid, txnNumber: n(3), startTransaction: true }, 72],
      [{ ...find, lsid, txnNumber: n(4), autocommit: false, startTransaction: false }, 72],
      [{ ...find, lsid, txnNumber: n(5) }, 50768],
      [{ ...insert, lsid: 'session-7' }, 14],
      [{ ...insert, lsid: {} }, 40414],
      [{ ...insert, lsid, txnNumber: 'seven' }, 14],
      [{ ...find, lsid, txnNumber: n(7), autocommit: 'no' }, 14],
      [{ configureFailPoint: 'failCommand', mode: 'off' }, 13],
    ];
    for (const [cmd, code] of cases) {
      const reply = await run(cmd);
      expect({ cmd, code: reply.code }).toEqual({ cmd, code });
    }
    expect(await run({ ...insert, lsid, txnNumber: n(6) })).toMatchObject({ ok: 1, n: 1 });
  });

  it('takes a readConcern only on the first statement and no writeConcern before commit', async () => {
    const txn = (v: number): Doc => ({ lsid, txnNumber: n(v), autocommit: false });
    const first = await run({
      find: 'shelf',
      filter: {},
      ...txn(1),
      startTransaction: true,
      readConcern: { level: 'majority' },
    });
    expect(first).toMatchObject({ ok: 1 });
    const later = await run({ find: 'shelf', filter: {}, ...txn(1), readConcern: { level: 'local' } });
    expect(later).toMatchObject({ ok: 0, code: 72 });
    const withWc = await run({ insert: 'shelf', documents: [{ _id: 1 }], ...txn(1), writeConcern: { w: 1 } });
    expect(withWc).toMatchObject({ ok: 0, code: 72 });
    expect(await run({ commitTransaction: 1, ...txn(1) })).toMatchObject({ ok: 0, code: 13, codeName: 'Unauthorized' });
    expect(await runAdmin({ commitTransaction: 1, ...txn(1), writeConcern: { w: 'majority' } })).toMatchObject({
      ok: 1,
    });

    const available = await run({
      find: 'shelf',
      filter: {},
      ...txn(2),
      startTransaction: true,
      readConcern: { level: 'available' },
    });
    expect(available).toMatchObject({ ok: 0, code: 72 });
  });

  it('starts a session the session cache lists, and wants session lists as arrays', async () => {
    const started = await runAdmin({ startSession: 1 });
    expect(started).toMatchObject({ ok: 1, timeoutMinutes: 30 });
    const id = (started.id as { id: UUID }).id;
    expect(id).toBeInstanceOf(UUID);
    const listed = await runAdmin({ aggregate: 1, pipeline: [{ $listLocalSessions: {} }], cursor: {} });
    const ids = (listed.cursor as { firstBatch: Doc[] }).firstBatch.map((d) => String((d._id as { id: UUID }).id));
    expect(ids).toContain(String(id));
    for (const cmd of [{ endSessions: 5 }, { killSessions: { id } }, { refreshSessions: 'all' }])
      expect(await runAdmin(cmd)).toMatchObject({ ok: 0, code: 14 });
    expect(await runAdmin({ endSessions: [{ id }] })).toMatchObject({ ok: 1 });
  });
});
