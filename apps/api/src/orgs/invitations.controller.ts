import { Body, Delete, HttpCode, Post, Query } from '@nestjs/common';
import { ApiController, CurrentUser, Endpoint, ListRoute, ObjectIdParam, OrgSlugParam, Paging } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { InvitationListQueryDto, InvitationResponseDto, InvitationTokenDto } from './dto/invitation.dto.js';
import { MemberResponseDto } from './dto/member.dto.js';
import { InvitationsService } from './invitations.service.js';
import { InvitationClosedError, InvitationExpiredError, NotOrgManagerError } from './orgs.errors.js';

/** Invitations: an organisation's (for its owners and admins) and the caller's own, answered with their token. */
@ApiController('orgs')
export class InvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @ListRoute(InvitationResponseDto, {
    path: 'orgs/:org/invitations',
    summary: 'List an organisation’s invitations',
    description: 'Owners and org admins; newest first. Tokens are never listed.',
    errors: [NotOrgManagerError],
  })
  listForOrg(
    @CurrentUser() caller: AuthUser,
    @OrgSlugParam() org: string,
    @Query() query: InvitationListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<InvitationResponseDto>> {
    return this.invitations.listForOrg(caller, org, query.status, window);
  }

  @Delete('orgs/:org/invitations/:id')
  @HttpCode(204)
  @Endpoint({
    summary: 'Revoke an invitation',
    description: 'Owners and org admins withdraw a pending invitation; its token stops working at once.',
    errors: [NotOrgManagerError, InvitationClosedError, InvitationExpiredError],
  })
  async revoke(
    @CurrentUser() caller: AuthUser,
    @OrgSlugParam() org: string,
    @ObjectIdParam('id', 'invitation') id: string,
  ): Promise<void> {
    await this.invitations.revoke(caller, org, id);
  }

  @ListRoute(InvitationResponseDto, {
    path: 'invitations',
    summary: 'List your invitations',
    description:
      'Invitations addressed to your email address or your user id, newest first; answer them with their token.',
  })
  listMine(
    @CurrentUser() caller: AuthUser,
    @Query() query: InvitationListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<InvitationResponseDto>> {
    return this.invitations.listMine(caller, query.status, window);
  }

  @Post('invitations/accept')
  @HttpCode(201)
  @Endpoint({
    summary: 'Accept an invitation',
    description:
      'Joins the organisation with the invitation’s role (a member already keeps theirs). Only the account the ' +
      'invitation is addressed to can use the token; for any other, and for an unknown token, 404.',
    errors: [InvitationClosedError, InvitationExpiredError],
  })
  accept(@CurrentUser() caller: AuthUser, @Body() dto: InvitationTokenDto): Promise<MemberResponseDto> {
    return this.invitations.accept(caller, dto.token);
  }

  @Post('invitations/decline')
  @HttpCode(204)
  @Endpoint({
    summary: 'Decline an invitation',
    description: 'Closes it; the token stops working. Only the account it is addressed to; 404 otherwise.',
    errors: [InvitationClosedError, InvitationExpiredError],
  })
  async decline(@CurrentUser() caller: AuthUser, @Body() dto: InvitationTokenDto): Promise<void> {
    await this.invitations.decline(caller, dto.token);
  }
}
