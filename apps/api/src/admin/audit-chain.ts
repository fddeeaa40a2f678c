import { createHash } from 'node:crypto';
import type { AuditAnchor, AuditEntry, AuditRecord, ChainVerdict } from './admin.entity.js';

/** The hash the very first entry links to. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * JSON with sorted keys, no whitespace, dates as ISO strings and `undefined` dropped: one byte string per value,
 * whatever order the fields were stored or read back in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const parts = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
    return `{${parts.join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

/** The fields an entry's hash covers: all of it but the hash itself. */
export function canonicalEntry(entry: AuditRecord & { seq: number; prevHash: string }): string {
  return canonicalJson({
    seq: entry.seq,
    prev_hash: entry.prevHash,
    at: entry.at,
    action: entry.action,
    actor: entry.actor,
    target: entry.target,
    org_id: entry.orgId,
    outcome: entry.outcome,
    status: entry.status,
    method: entry.method,
    path: entry.path,
    request_id: entry.requestId,
    ip: entry.ip,
    user_agent: entry.userAgent,
    before: entry.before,
    after: entry.after,
    details: entry.details,
  });
}

export function hashEntry(entry: AuditRecord & { seq: number; prevHash: string }): string {
  return createHash('sha256').update(entry.prevHash).update('\n').update(canonicalEntry(entry)).digest('hex');
}

/**
 * A copy without `undefined` anywhere (a driver stores it as null, or drops it), so what is hashed is exactly
 * what is stored and read back.
 */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => (v === undefined ? null : withoutUndefined(v))) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = withoutUndefined(v);
    return out as T;
  }
  return value;
}

/** Links records onto a chain whose head is (`seq`, `hash`). */
export function chain(records: AuditRecord[], head: { seq: number; hash: string }): AuditEntry[] {
  let { seq, hash } = head;
  return records.map((record) => {
    const linked = { ...withoutUndefined(record), seq: seq + 1, prevHash: hash };
    const entry = { ...linked, hash: hashEntry(linked) };
    seq = entry.seq;
    hash = entry.hash;
    return entry;
  });
}

/**
 * Walks entries in seq order from the anchor and reports the first that does not verify: its stored hash is not
 * the hash of its content (`hash_mismatch`, the entry itself was changed), it does not link to the previous one
 * (`link_mismatch`) or a seq is missing (`missing_entry`, one was deleted). Feed it page by page through
 * `ChainWalker`.
 */
export class ChainWalker {
  private expectedSeq: number;
  private expectedPrev: string;
  private checked = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private broken: ChainVerdict['breakAt'] = null;

  constructor(anchor: Pick<AuditAnchor, 'seq' | 'prevHash'>) {
    this.expectedSeq = anchor.seq;
    this.expectedPrev = anchor.prevHash;
  }

  /** Checks the next entries; false once a break is found (stop reading). */
  feed(entries: AuditEntry[]): boolean {
    for (const entry of entries) {
      if (this.broken) return false;
      this.checked += 1;
      this.firstSeq ??= entry.seq;
      this.lastSeq = entry.seq;
      if (entry.seq !== this.expectedSeq) {
        this.broken = { seq: this.expectedSeq, reason: 'missing_entry' };
      } else if (hashEntry(entry) !== entry.hash) {
        this.broken = { seq: entry.seq, reason: 'hash_mismatch' };
      } else if (entry.prevHash !== this.expectedPrev) {
        this.broken = { seq: entry.seq, reason: 'link_mismatch' };
      }
      this.expectedSeq = entry.seq + 1;
      this.expectedPrev = entry.hash;
    }
    return !this.broken;
  }

  verdict(): ChainVerdict {
    return {
      ok: !this.broken,
      checked: this.checked,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      breakAt: this.broken,
    };
  }
}
