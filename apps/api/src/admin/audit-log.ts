import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { type AuditActionEvent, Clock, JsonLogger, OnPlughubEvent, type ScheduledJob, Scheduler } from '@app/common';
import { MEMBERSHIP_LOOKUP, type MembershipLookup } from '../auth/auth.ports.js';
import type { AuditConfig } from '../config/app-config.js';
import { AUDIT_CONFIG } from '../config/config.module.js';
import type { AuditRecord } from './admin.entity.js';
import { chain } from './audit-chain.js';
import { AuditRepository } from './persistence/audit.repository.js';
import { redact } from './redact.js';

/** An entry waiting to be written: built (redacted) off the request path; `org` is a slug or id to resolve. */
export interface PendingAudit {
  build(): AuditRecord;
  org: string | null;
}

const BATCH = 500;
/** Entries held while the database is unreachable; beyond this the oldest are dropped (and logged). */
const MAX_QUEUED = 100_000;
const RETRY_MS = 500;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * The one writer of the audit chain on this node. Requests hand it entries and go on (the write happens after
 * the reply, in batches); it links each batch after the chain's head and inserts it. Across nodes the unique
 * index on `seq` serialises writers: a batch that collides is re-linked after the new head and retried. Entries
 * are kept in memory until written, flushed before the database closes on a clean shutdown, and retried while
 * the database is down.
 */
@Injectable()
export class AuditLog implements OnApplicationBootstrap, BeforeApplicationShutdown, OnModuleDestroy {
  private readonly logger: JsonLogger;
  private queue: PendingAudit[] = [];
  private head: { seq: number; hash: string } | null = null;
  private running: Promise<void> | null = null;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly pruning: ScheduledJob<void>;
  private readonly orgIds = new Map<string, string | null>();
  private written = 0;

  constructor(
    private readonly entries: AuditRepository,
    @Inject(MEMBERSHIP_LOOKUP) private readonly memberships: MembershipLookup,
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @Inject(Clock) private readonly clock: Clock,
    scheduler: Scheduler,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('AuditLog');
    this.pruning = scheduler.every({
      name: 'audit-prune',
      intervalMs: PRUNE_EVERY_MS,
      run: async () => {
        const removed = await this.prune();
        if (removed) this.logger.info('audit entries pruned', { removed });
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.config.retentionDays > 0) this.pruning.start();
  }

  /** Queues an entry; it is written shortly after, in a batch. Never throws. */
  append(entry: PendingAudit): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.queue.shift();
      this.logger.error('audit queue full: dropped the oldest entry', { queued: this.queue.length });
    }
    this.queue.push(entry);
    if (!this.scheduled && !this.retryTimer) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.drain();
      });
    }
  }

  /** Resolves once everything queued before the call is written (reads call it first: read your own writes). */
  async flush(): Promise<void> {
    while (this.queue.length || this.running) {
      await this.drain();
      if (this.queue.length && this.retryTimer) throw new Error('the audit log cannot be written right now');
    }
  }

  /** Entries this node has written since it started. */
  get writtenCount(): number {
    return this.written;
  }

  @OnPlughubEvent('audit.action')
  onAction(event: AuditActionEvent): void {
    this.append({ org: event.orgId ?? null, build: () => fromEvent(event) });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    try {
      await this.flush();
    } catch (err) {
      this.logger.error('audit entries not written at shutdown', {
        queued: this.queue.length,
        error: (err as Error).message,
      });
    }
  }

  onModuleDestroy(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    void this.pruning.stop();
  }

  /** Prunes entries past the retention; the anchor keeps the rest verifiable. */
  async prune(): Promise<number> {
    if (this.config.retentionDays <= 0) return 0;
    const now = this.clock.now();
    const cutoff = new Date(now.getTime() - this.config.retentionDays * 24 * 3600 * 1000);
    return this.entries.prune(cutoff, now);
  }

  private drain(): Promise<void> {
    this.running ??= this.writeAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.slice(0, BATCH);
      let records: AuditRecord[];
      try {
        records = await Promise.all(batch.map((p) => this.record(p)));
      } catch (err) {
        this.logger.error('audit entry could not be built; dropped', { error: (err as Error).message });
        this.queue.splice(0, batch.length);
        continue;
      }
      try {
        await this.insert(records);
        this.queue.splice(0, batch.length);
        this.written += records.length;
      } catch (err) {
        this.head = null;
        this.logger.warn('audit write failed; retrying', { queued: this.queue.length, error: (err as Error).message });
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.drain();
        }, RETRY_MS);
        this.retryTimer.unref();
        return;
      }
    }
  }

  /** Links and inserts records, re-linking after the new head whenever another node appended first. */
  private async insert(records: AuditRecord[]): Promise<void> {
    let rest = records;
    while (rest.length) {
      this.head ??= await this.entries.head();
      const linked = chain(rest, this.head);
      const { inserted, conflict } = await this.entries.append(linked);
      if (inserted) this.head = { seq: linked[inserted - 1].seq, hash: linked[inserted - 1].hash };
      rest = rest.slice(inserted);
      if (conflict) this.head = null;
    }
  }

  private async record(pending: PendingAudit): Promise<AuditRecord> {
    const record = pending.build();
    if (pending.org && !record.orgId) record.orgId = await this.orgId(pending.org);
    return record;
  }

  private async orgId(slugOrId: string): Promise<string | null> {
    if (this.orgIds.has(slugOrId)) return this.orgIds.get(slugOrId) ?? null;
    const org = await this.memberships.findOrg(slugOrId);
    // Only found orgs are remembered (an org created later under a slug seen before must still resolve).
    if (org) {
      if (this.orgIds.size > 10_000) this.orgIds.clear();
      this.orgIds.set(slugOrId, org.id);
    }
    return org?.id ?? null;
  }
}

function fromEvent(e: AuditActionEvent): AuditRecord {
  const actor =
    e.actor.kind === 'user'
      ? {
          kind: 'user' as const,
          userId: e.actor.userId,
          roles: [...e.actor.roles],
          tokenId: e.actor.tokenId ?? null,
          component: null,
          claimed: null,
        }
      : {
          kind: 'system' as const,
          userId: null,
          roles: [],
          tokenId: null,
          component: e.actor.component,
          claimed: null,
        };
  return {
    at: e.at,
    action: e.action,
    actor,
    target: { type: e.target.type, id: e.target.id },
    orgId: null,
    outcome: e.outcome,
    status: null,
    method: null,
    path: null,
    requestId: e.requestId ?? null,
    ip: null,
    userAgent: null,
    // Emitters redact already; redacting again costs little and catches a slip.
    before: redact(e.before ?? null),
    after: redact(e.after ?? null),
    details: redact({ ...e.details, ...(e.target.key ? { target_key: e.target.key } : {}) }) as Record<string, unknown>,
  };
}
