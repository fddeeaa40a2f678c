import { Injectable } from '@nestjs/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { ModerationService } from '../registry/moderation.service.js';
import { AuditNotes } from './audit-notes.js';
import {
  AdminPluginResponseDto,
  type AdminPluginListQueryDto,
  type ReviewPluginDto,
  type VerifyPluginDto,
} from './dto/admin-plugin.dto.js';

/** The admin overview, review and verification: the registry's ModerationService holds the rules. */
@Injectable()
export class AdminPluginsService {
  constructor(
    private readonly moderation: ModerationService,
    private readonly notes: AuditNotes,
  ) {}

  async list(caller: AuthUser, q: AdminPluginListQueryDto, window: PageWindow): Promise<Slice<AdminPluginResponseDto>> {
    const slice = await this.moderation.overview(
      caller,
      { status: q.status, killed: q.killed, verified: q.verified, ownerId: q.owner, search: q.search },
      q.ordering,
      window,
    );
    return { count: slice.count, items: slice.items.map((i) => AdminPluginResponseDto.from(i)) };
  }

  async review(caller: AuthUser, key: string, dto: ReviewPluginDto): Promise<AdminPluginResponseDto> {
    await this.before(caller, key);
    const decision = dto.decision === 'approve' ? 'approved' : 'rejected';
    await this.moderation.reviewVersion(caller, key, dto.version, decision, dto.notes ?? null);
    return AdminPluginResponseDto.from(await this.moderation.overviewItem(key));
  }

  async verify(caller: AuthUser, key: string, dto: VerifyPluginDto): Promise<AdminPluginResponseDto> {
    await this.before(caller, key);
    await this.moderation.setVerified(caller, key, dto.verified, dto.notes ?? null);
    return AdminPluginResponseDto.from(await this.moderation.overviewItem(key));
  }

  /** The plugin as it was, for the request's audit entry (and the 403/404 before anything else). */
  private async before(caller: AuthUser, key: string): Promise<void> {
    await this.moderation.livePlugin(caller, key);
    this.notes.before(AdminPluginResponseDto.from(await this.moderation.overviewItem(key)));
  }
}
