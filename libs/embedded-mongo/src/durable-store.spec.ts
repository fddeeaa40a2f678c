import { describe, expect, it } from 'vitest';
import { encodeRecord, readRecords } from './durable-store.js';

describe('journal record framing', () => {
  it('round-trips records and stops at the first damaged one', () => {
    const a = encodeRecord({ op: 'i', ns: 'a.b', doc: { _id: 1 } });
    const b = encodeRecord({ op: 'd', ns: 'a.b', id: 1 });
    const ok = readRecords(Buffer.concat([a, b]));
    expect(ok).toMatchObject({ corrupt: false, validBytes: a.length + b.length });
    expect(ok.records).toHaveLength(2);

    const torn = readRecords(Buffer.concat([a, b.subarray(0, b.length - 1)]));
    expect(torn).toMatchObject({ corrupt: true, validBytes: a.length });
    const flipped = Buffer.concat([a, b]);
    flipped[a.length + 12] ^= 1;
    expect(readRecords(flipped)).toMatchObject({ corrupt: true, validBytes: a.length });
    expect(readRecords(Buffer.concat([a, Buffer.from([1, 2, 3])]))).toMatchObject({
      corrupt: true,
      validBytes: a.length,
    });
  });

  it('encodes records larger than the BSON encoder default buffer (big transactions)', () => {
    const ops = Array.from({ length: 3 }, (_, i) => ({
      op: 'i',
      ns: 'a.b',
      doc: { _id: i, s: 'x'.repeat(7 * 1024 * 1024) },
    }));
    const rec = encodeRecord({ op: 'txn', ops });
    const { records, corrupt } = readRecords(rec);
    expect(corrupt).toBe(false);
    expect((records[0].ops as unknown[]).length).toBe(3);
  });
});
