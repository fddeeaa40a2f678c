import { useTestDatabase } from '@app/database/testing.js';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../admin.entity.js';
import { ChainWalker, chain } from '../audit-chain.js';
import { AuditAnchorDoc, AuditAnchorSchema, AuditEntryDoc, AuditEntrySchema } from './audit-entry.schema.js';
import { AuditRepository } from './audit.repository.js';

const db = useTestDatabase('audit');
let repo: AuditRepository;

const record = (i: number, at = new Date(Date.UTC(2026, 0, 1, 0, 0, i))): AuditRecord => ({
  at,
  action: 'things_create',
  actor: { kind: 'system', userId: null, roles: [], tokenId: null, component: 'spec', claimed: null },
  target: { type: 'things', id: String(i) },
  orgId: null,
  outcome: 'success',
  status: null,
  method: null,
  path: null,
  requestId: null,
  ip: null,
  userAgent: null,
  before: null,
  after: { i },
  details: {},
});

/** What one node's writer does: link after the head, insert, re-link after the new head on a collision. */
async function appendAll(records: AuditRecord[]): Promise<number> {
  let rest = records;
  let collisions = 0;
  while (rest.length) {
    const linked = chain(rest, await repo.head());
    const { inserted, conflict } = await repo.append(linked);
    rest = rest.slice(inserted);
    if (conflict) collisions += 1;
  }
  return collisions;
}

async function verify() {
  const anchor = await repo.anchor();
  const walker = new ChainWalker(anchor);
  walker.feed(await repo.from(anchor.seq, 100_000));
  return walker.verdict();
}

beforeAll(async () => {
  repo = new AuditRepository(
    await db.model(AuditEntryDoc.name, AuditEntrySchema),
    await db.model(AuditAnchorDoc.name, AuditAnchorSchema),
  );
});

describe('AuditRepository', () => {
  it('keeps one chain when several writers append at once (the unique seq decides)', async () => {
    const writers = Array.from({ length: 6 }, (_, w) =>
      appendAll(Array.from({ length: 20 }, (_, i) => record(w * 100 + i))),
    );
    await Promise.all(writers);
    const verdict = await verify();
    expect(verdict).toMatchObject({ ok: true, checked: 120, firstSeq: 1, lastSeq: 120 });
  });

  it('prunes old entries and stays verifiable from the anchor, keeping the newest', async () => {
    const now = new Date(Date.UTC(2026, 0, 2));
    await appendAll([record(900, now), record(901, now)]);
    const removed = await repo.prune(new Date(Date.UTC(2026, 0, 1, 12)), now);
    expect(removed).toBe(120);
    expect(await repo.anchor()).toMatchObject({ seq: 121, pruned: 120 });
    expect(await verify()).toMatchObject({ ok: true, checked: 2, firstSeq: 121 });
    await repo.prune(new Date(Date.UTC(2027, 0, 1)), now);
    expect(await verify()).toMatchObject({ ok: true, checked: 1, firstSeq: 122 });
  });
});
