import { Body, Query } from '@nestjs/common';
import { ApiController, CurrentUser, ListRoute, Paging, PluginKeyParam, PostAction } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import {
  DraftNotSubmittedError,
  NotPendingError,
  ReviewerRoleRequiredError,
  ReviewNotesRequiredError,
  SelfApprovalError,
  StaleWriteError,
} from '../registry/registry.errors.js';
import { AdminPluginsService } from './admin-plugins.service.js';
import {
  AdminPluginListQueryDto,
  AdminPluginResponseDto,
  ReviewPluginDto,
  VerifyPluginDto,
} from './dto/admin-plugin.dto.js';

@ApiController('admin', 'admin/plugins', { roles: ['reviewer'] })
export class AdminPluginsController {
  constructor(private readonly plugins: AdminPluginsService) {}

  @ListRoute(AdminPluginResponseDto, {
    summary: 'List every plugin for moderation',
    description:
      'Every live plugin whoever owns it, in any state, with each version’s review state, the trust badge, the ' +
      'kill switch, the owner and the installation count. `status=pending` is the review queue. Platform admins ' +
      'and reviewers only.',
    errors: [ReviewerRoleRequiredError],
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: AdminPluginListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<AdminPluginResponseDto>> {
    return this.plugins.list(caller, query, window);
  }

  @PostAction(':plugin/review', {
    summary: 'Approve or reject a pending version',
    description:
      'Moves a pending version to approved (the dist-tags follow) or rejected, recording the reviewer, the time ' +
      'and the notes, and tells the owner (event `version.reviewed`). A version that is not pending is 409; ' +
      'rejecting needs notes (400); nobody approves a plugin they own, manage or published (403). Platform ' +
      'admins and reviewers only.',
    errors: [
      ReviewerRoleRequiredError,
      SelfApprovalError,
      NotPendingError,
      DraftNotSubmittedError,
      StaleWriteError,
      ReviewNotesRequiredError,
    ],
  })
  review(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: ReviewPluginDto,
  ): Promise<AdminPluginResponseDto> {
    return this.plugins.review(caller, key, dto);
  }

  @PostAction(':plugin/verify', {
    summary: 'Set the trust badge',
    description:
      'Marks the plugin verified (or not), recording who, when and why; the catalog’s `verified` field and ' +
      'filter follow. Platform admins and reviewers only.',
    errors: [ReviewerRoleRequiredError],
  })
  verify(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: VerifyPluginDto,
  ): Promise<AdminPluginResponseDto> {
    return this.plugins.verify(caller, key, dto);
  }
}
