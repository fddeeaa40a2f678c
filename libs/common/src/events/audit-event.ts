/**
 * `audit.action`: how a module records something the audit log must show but no mutating HTTP request carries.
 * The admin module's interceptor already records every POST, PUT, PATCH and DELETE that reaches a handler; emit
 * this for the rest: a privileged read (an admin reading secrets), a background action (auto-update, auto-rollback,
 * a health policy disabling an installation, a lease take-over: actor `system`). The admin module appends each one
 * to the hash-chained audit log; nothing else listens for it.
 *
 * `before`, `after` and `details` are plain data and must already be redacted: never a secret value, a token or a
 * password, only whether one is set.
 */
export interface AuditActionEvent {
  actor: AuditActor;
  /** Dotted name, `<resource>.<verb>`, e.g. `configuration.secrets_revealed`, `installation.auto_updated`. */
  action: string;
  target: { type: string; id: string; key?: string };
  /** The org the target belongs to, when it belongs to one (org admins read their org's entries). */
  orgId?: string;
  outcome: 'success' | 'failure' | 'denied';
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  details?: Record<string, unknown>;
  requestId?: string;
  at: Date;
}

export type AuditActor =
  { kind: 'user'; userId: string; roles: readonly string[]; tokenId?: string } | { kind: 'system'; component: string };

declare module './plughub-events.js' {
  interface PlughubEvents {
    'audit.action': AuditActionEvent;
  }
}
