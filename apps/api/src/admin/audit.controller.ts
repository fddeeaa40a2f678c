import { Get, Query } from '@nestjs/common';
import { ApiController, CurrentUser, Endpoint, ListRoute, Paging } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { AuditUnavailableError, NotOrgAuditorError } from './admin.errors.js';
import { AuditService } from './audit.service.js';
import {
  AuditEntryResponseDto,
  AuditListQueryDto,
  AuditVerifyResponseDto,
  OrgAuditListQueryDto,
} from './dto/audit-entry.dto.js';

@ApiController('admin', 'admin/audit', { roles: ['admin'] })
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @ListRoute(AuditEntryResponseDto, {
    summary: 'List audit entries',
    description:
      'Every state-changing request (POST, PUT, PATCH, DELETE that reached a handler, with its outcome, denials ' +
      'and failed logins included) and every background action, newest first, secrets redacted. Platform admins.',
    errors: [AuditUnavailableError],
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: AuditListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<AuditEntryResponseDto>> {
    return this.audit.list(caller, query, window);
  }

  @Get('verify')
  @Endpoint({
    summary: 'Verify the audit chain',
    description:
      'Walks the hash chain from where the kept part starts (after pruning) and reports the first entry whose ' +
      'content no longer matches its hash, that does not link to the one before, or that is missing.',
    errors: [AuditUnavailableError],
  })
  verify(): Promise<AuditVerifyResponseDto> {
    return this.audit.verify();
  }
}

@ApiController('admin', 'org/audit')
export class OrgAuditController {
  constructor(private readonly audit: AuditService) {}

  @ListRoute(AuditEntryResponseDto, {
    summary: "List an organisation's audit entries",
    description:
      "Entries about the organisation's things, newest first. Its owners and admins (and platform admins); " +
      'an organisation you cannot see is 404.',
    errors: [NotOrgAuditorError, AuditUnavailableError],
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: OrgAuditListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<AuditEntryResponseDto>> {
    return this.audit.listForOrg(caller, query, window);
  }
}
