/**
 * The admin module's entities and events: the hash-chained audit log, and the kill switch's events.
 */

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
/** `success`: 2xx/3xx; `denied`: 401/403 (authentication or permission); `failure`: any other error. */
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const AUDIT_ACTOR_KINDS = ['user', 'anonymous', 'system'] as const;
export type AuditActorKind = (typeof AUDIT_ACTOR_KINDS)[number];

export interface AuditActorInfo {
  kind: AuditActorKind;
  /** The user's id (kind user). */
  userId: string | null;
  /** The user's platform roles at the time (kind user). */
  roles: string[];
  /** The API token used, when the caller authenticated with one. */
  tokenId: string | null;
  /** The background component that acted (kind system), e.g. `installation.auto_update`. */
  component: string | null;
  /** The email an anonymous caller claimed (a login attempt); never a password. */
  claimed: string | null;
}

export interface AuditTarget {
  /** The resource type: the first path segment (`plugins`, `users`, …) or what an `audit.action` names. */
  type: string;
  id: string | null;
}

/** One entry as it is appended: everything but its place in the chain. */
export interface AuditRecord {
  at: Date;
  action: string;
  actor: AuditActorInfo;
  target: AuditTarget;
  /** The organisation the target belongs to (id), when it belongs to one. */
  orgId: string | null;
  outcome: AuditOutcome;
  /** HTTP status; null for background actions. */
  status: number | null;
  method: string | null;
  path: string | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  /** State before / after the change, redacted; `after` is the response body for requests. */
  before: unknown;
  after: unknown;
  /** The request body (redacted), path parameters, the error's code and reason, or an event's details. */
  details: Record<string, unknown>;
}

/** A stored entry: its record, its sequence number, and the chain hashes. */
export interface AuditEntry extends AuditRecord {
  seq: number;
  /** SHA-256 (hex) of the previous entry; the anchor's hash for the first kept entry. */
  prevHash: string;
  /** SHA-256 (hex) of `prevHash` and this entry's canonical form. */
  hash: string;
}

/** Where the kept part of the chain starts after pruning: the first kept seq and the hash it links to. */
export interface AuditAnchor {
  seq: number;
  prevHash: string;
  prunedAt: Date | null;
  pruned: number;
}

export interface AuditCriteria {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  orgIds?: string[];
  outcome?: AuditOutcome;
  requestId?: string;
  from?: Date;
  to?: Date;
}

export interface ChainVerdict {
  ok: boolean;
  checked: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The first entry that does not verify. */
  breakAt: { seq: number; reason: 'hash_mismatch' | 'link_mismatch' | 'missing_entry' } | null;
}

// ---- events ---------------------------------------------------------------------------------------------------

export interface PluginKilledEvent {
  key: string;
  /** The versions killed; empty means every version. */
  versions: string[];
  reason: string;
  by: string;
  at: Date;
}

export interface PluginRevivedEvent {
  key: string;
  reason: string;
  by: string;
  at: Date;
}

declare module '@app/common' {
  interface PlughubEvents {
    /** An admin pulled the kill switch on a plugin (or some of its versions). */
    'plugin.killed': PluginKilledEvent;
    /** An admin revived a killed plugin; its installations come back disabled. */
    'plugin.revived': PluginRevivedEvent;
  }
}
