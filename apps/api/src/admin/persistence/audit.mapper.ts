import type { AuditAnchor, AuditEntry } from '../admin.entity.js';
import { auditEntryFields } from '../dto/audit-entry.dto.js';
import type { AuditAnchorDoc, AuditEntryDoc } from './audit-entry.schema.js';

export type AuditEntryLean = AuditEntryDoc & { _id: unknown };

export function toAuditEntry(d: AuditEntryLean): AuditEntry {
  return {
    seq: d.seq,
    prevHash: d.prev_hash,
    hash: d.hash,
    at: d.at,
    action: d.action,
    actor: {
      kind: d.actor.kind,
      userId: d.actor.user_id ?? null,
      roles: d.actor.roles ?? [],
      tokenId: d.actor.token_id ?? null,
      component: d.actor.component ?? null,
      claimed: d.actor.claimed ?? null,
    },
    target: { type: d.target.type, id: d.target.id ?? null },
    orgId: d.org_id ?? null,
    outcome: d.outcome,
    status: d.status ?? null,
    method: d.method ?? null,
    path: d.path ?? null,
    requestId: d.request_id ?? null,
    ip: d.ip ?? null,
    userAgent: d.user_agent ?? null,
    before: d.before ?? null,
    after: d.after ?? null,
    details: d.details ?? {},
  };
}

/**
 * The stored form of an entry; every field written, so what is read back is what was hashed. The field list is
 * the response DTO's (auditEntryFields); stored, `at` stays a Date and `before`/`after` stay as recorded.
 */
export function toAuditDoc(e: AuditEntry): AuditEntryDoc {
  return { ...auditEntryFields(e), at: e.at, before: e.before, after: e.after };
}

export function toAnchor(d: AuditAnchorDoc): AuditAnchor {
  return { seq: d.seq, prevHash: d.prev_hash, prunedAt: d.pruned_at ?? null, pruned: d.pruned ?? 0 };
}
