import { Injectable } from '@nestjs/common';
import { type ClosingResponse, ResponseStorage } from '@app/common';

/** What a handler's service adds to its request's audit entry. */
export interface AuditNote {
  /** The target's state before the change (plain data; redacted when written). */
  before?: unknown;
  /** The organisation the target belongs to (id or slug). */
  org?: string;
  /** Values that are secret in this request (a manifest's secret settings), redacted wherever they appear. */
  secrets: Set<string>;
  /** Field names whose values are secret in this request (a manifest's secret setting keys), redacted anywhere. */
  secretFields?: Set<string>;
}

/**
 * The request's audit note, for the few services that know more than the interceptor can see: the state before
 * a change, the owning organisation, the values a manifest marks secret. Outside a mutating request (boot, a
 * background job) the calls do nothing; background actions emit `audit.action` instead. The storage is on only
 * while a mutating request's response is open (ResponseStorage), so reads pay no promise hooks for it.
 *
 *   this.auditNotes.before({ killed: plugin.killed });
 *   this.auditNotes.secret(value);
 */
@Injectable()
export class AuditNotes {
  private readonly storage = new ResponseStorage<AuditNote>();

  /** Runs `fn` with a fresh note (the interceptor, around the handler) until `response` closes. */
  run<T>(response: ClosingResponse, note: AuditNote, fn: () => T): T {
    return this.storage.run(response, note, fn);
  }

  before(state: unknown): void {
    const note = this.storage.getStore();
    if (note && note.before === undefined) note.before = state;
  }

  org(slugOrId: string): void {
    const note = this.storage.getStore();
    if (note) note.org = slugOrId;
  }

  secret(value: string): void {
    if (value) this.storage.getStore()?.secrets.add(value);
  }

  /**
   * A field name whose values are secret in this request, whatever their type (a setting declared `secret: true`
   * whose name does not look secret, e.g. `webhook_url`): its values are redacted wherever the field appears.
   */
  secretField(name: string): void {
    const note = this.storage.getStore();
    if (!note || !name) return;
    (note.secretFields ??= new Set()).add(name);
  }

  /**
   * The secret settings in `values` (a body's settings, by key) as the manifest's `definitions` flag them: each
   * key a secret field, each string value a secret value (it may also appear elsewhere, e.g. under `value`).
   */
  secretSettings(definitions: Readonly<Record<string, { secret?: boolean }>> | undefined, values: unknown): void {
    if (!definitions || typeof values !== 'object' || values === null || Array.isArray(values)) return;
    for (const [key, value] of Object.entries(values as Record<string, unknown>)) {
      if (definitions[key]?.secret !== true) continue;
      this.secretField(key);
      if (typeof value === 'string') this.secret(value);
    }
  }
}
