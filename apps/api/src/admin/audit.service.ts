import { Injectable } from '@nestjs/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { AccessService } from '../auth/access.service.js';
import type { AuditCriteria } from './admin.entity.js';
import { AuditUnavailableError, NotOrgAuditorError } from './admin.errors.js';
import { ChainWalker } from './audit-chain.js';
import { AuditLog } from './audit-log.js';
import { AuditEntryResponseDto, type AuditFiltersDto, AuditVerifyResponseDto } from './dto/audit-entry.dto.js';
import { AuditRepository } from './persistence/audit.repository.js';

const VERIFY_PAGE = 1000;

/** Reading the audit log: the admin list, an organisation's entries, and the chain walk. */
@Injectable()
export class AuditService {
  constructor(
    private readonly entries: AuditRepository,
    private readonly log: AuditLog,
    private readonly access: AccessService,
  ) {}

  /** Every entry (platform admins; the guard checks the role). */
  async list(
    caller: AuthUser,
    filters: AuditFiltersDto & { org?: string },
    window: PageWindow,
  ): Promise<Slice<AuditEntryResponseDto>> {
    const criteria = criteriaOf(filters);
    if (filters.org !== undefined) {
      const org = await this.access.resolveTarget(caller, { org: filters.org });
      criteria.orgIds = org.kind === 'org' ? [org.id] : [];
    }
    return this.page(criteria, window);
  }

  async listForOrg(
    caller: AuthUser,
    filters: AuditFiltersDto & { org: string },
    window: PageWindow,
  ): Promise<Slice<AuditEntryResponseDto>> {
    const target = await this.access.resolveTarget(caller, { org: filters.org });
    await this.access.assert(caller, 'manage', target, () => new NotOrgAuditorError());
    const criteria = criteriaOf(filters);
    criteria.orgIds = target.kind === 'org' ? [target.id] : [];
    return this.page(criteria, window);
  }

  /** Walks the kept chain from its anchor, oldest first, and reports the first entry that does not verify. */
  async verify(): Promise<AuditVerifyResponseDto> {
    await this.flushed();
    const anchor = await this.entries.anchor();
    const walker = new ChainWalker(anchor);
    let from = anchor.seq;
    for (;;) {
      const page = await this.entries.from(from, VERIFY_PAGE);
      if (!walker.feed(page) || page.length < VERIFY_PAGE) break;
      from = page[page.length - 1].seq + 1;
    }
    const v = walker.verdict();
    return {
      ok: v.ok,
      checked: v.checked,
      first_seq: v.firstSeq,
      last_seq: v.lastSeq,
      anchor_seq: anchor.seq,
      anchor_hash: anchor.prevHash,
      pruned: anchor.pruned,
      break_seq: v.breakAt?.seq ?? null,
      break_reason: v.breakAt?.reason ?? null,
    };
  }

  private async page(criteria: AuditCriteria, window: PageWindow): Promise<Slice<AuditEntryResponseDto>> {
    await this.flushed();
    const slice = await this.entries.list(criteria, window);
    return { count: slice.count, items: slice.items.map((e) => AuditEntryResponseDto.from(e)) };
  }

  /** What this node has queued is written before it is read back. */
  private async flushed(): Promise<void> {
    try {
      await this.log.flush();
    } catch {
      throw new AuditUnavailableError();
    }
  }
}

function criteriaOf(f: AuditFiltersDto): AuditCriteria {
  return {
    actor: f.actor,
    action: f.action,
    targetType: f.target_type,
    targetId: f.target,
    outcome: f.outcome,
    requestId: f.request_id,
    from: f.since === undefined ? undefined : new Date(f.since),
    to: f.until === undefined ? undefined : new Date(f.until),
  };
}
