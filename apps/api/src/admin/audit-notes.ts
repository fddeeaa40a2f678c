import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';

/** What a handler's service adds to its request's audit entry. */
export interface AuditNote {
  /** The target's state before the change (plain data; redacted when written). */
  before?: unknown;
  /** The organisation the target belongs to (id or slug). */
  org?: string;
  /** Values that are secret in this request (a manifest's secret settings), redacted wherever they appear. */
  secrets: Set<string>;
}

/**
 * The request's audit note, for the few services that know more than the interceptor can see: the state before
 * a change, the owning organisation, the values a manifest marks secret. Outside a mutating request (boot, a
 * background job) the calls do nothing; background actions emit `audit.action` instead.
 *
 *   this.auditNotes.before({ killed: plugin.killed });
 *   this.auditNotes.secret(value);
 */
@Injectable()
export class AuditNotes {
  private readonly storage = new AsyncLocalStorage<AuditNote>();

  /** Runs `fn` with a fresh note (the interceptor, around the handler). */
  run<T>(note: AuditNote, fn: () => T): T {
    return this.storage.run(note, fn);
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
}
