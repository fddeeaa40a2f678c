import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditRecord } from './admin.entity.js';
import { ChainWalker, GENESIS_HASH, canonicalJson, chain } from './audit-chain.js';

const record = (i: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  at: new Date(Date.UTC(2026, 11, 1, 0, 0, i)),
  action: `things_${i}_create`,
  actor: { kind: 'user', userId: `u${i}`, roles: ['user'], tokenId: null, component: null, claimed: null },
  target: { type: 'things', id: String(i) },
  orgId: null,
  outcome: 'success',
  status: 201,
  method: 'POST',
  path: '/api/things/',
  requestId: `r${i}`,
  ip: '127.0.0.1',
  userAgent: 'spec',
  before: null,
  after: { id: String(i), nested: { b: 2, a: [1, { z: null }] } },
  details: {},
  ...extra,
});

const walk = (entries: ReturnType<typeof chain>) => {
  const w = new ChainWalker({ seq: 1, prevHash: GENESIS_HASH });
  w.feed(entries);
  return w.verdict();
};

describe('canonicalJson', () => {
  it('is the same string whatever order the keys come in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
      }),
    );
  });

  it('round-trips through JSON to the same string', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalJson(JSON.parse(JSON.stringify(v)))).toBe(canonicalJson(v));
      }),
    );
  });
});

describe('the chain', () => {
  it('links each entry to the previous one and verifies end to end', () => {
    const entries = chain(
      [1, 2, 3, 4].map((i) => record(i)),
      { seq: 0, hash: GENESIS_HASH },
    );
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(entries[2].prevHash).toBe(entries[1].hash);
    expect(walk(entries)).toMatchObject({ ok: true, checked: 4, breakAt: null });
  });

  it('names exactly the entry whose content was changed, whichever it is', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9 }), fc.string({ minLength: 1 }), (victim, value) => {
        const entries = chain(
          Array.from({ length: 10 }, (_, i) => record(i)),
          { seq: 0, hash: GENESIS_HASH },
        );
        entries[victim] = { ...entries[victim], after: { ...(entries[victim].after as object), x: value } };
        expect(walk(entries).breakAt).toEqual({ seq: victim + 1, reason: 'hash_mismatch' });
      }),
    );
  });

  it('catches a rewritten entry re-hashed to fit at the next one, and a deleted entry where it is missing', () => {
    const entries = chain(
      [1, 2, 3].map((i) => record(i)),
      { seq: 0, hash: GENESIS_HASH },
    );
    const [forged] = chain([record(2, { outcome: 'failure' })], { seq: 1, hash: entries[0].hash });
    expect(walk([entries[0], forged, entries[2]]).breakAt).toEqual({ seq: 3, reason: 'link_mismatch' });
    expect(walk([entries[0], entries[2]]).breakAt).toEqual({ seq: 2, reason: 'missing_entry' });
  });

  it('hashes what is stored: undefined fields are dropped before hashing', () => {
    const [entry] = chain([record(1, { details: { error: { code: 'X', reason: undefined } } })], {
      seq: 0,
      hash: GENESIS_HASH,
    });
    expect(entry.details).toEqual({ error: { code: 'X' } });
    expect(
      walk([
        JSON.parse(JSON.stringify(entry), (k, v: unknown) => (k === 'at' ? new Date(v as string) : v)) as AuditEntry,
      ]),
    ).toMatchObject({ ok: true });
  });
});
