import { Body, Delete, Get, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiController, CurrentUser, Endpoint, ListRoute, ObjectIdParam, OrgSlugParam } from '@app/common';
import { PaginationQueryDto, Paging } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { CreatedInvitationResponseDto } from './dto/invitation.dto.js';
import { AddMemberDto, MemberResponseDto } from './dto/member.dto.js';
import { CreateOrgDto, OrgListQueryDto, OrgResponseDto } from './dto/org.dto.js';
import {
  LastOwnerError,
  NotOrgManagerError,
  OrgSlugTakenError,
  OwnersOnlyError,
  UnknownUserError,
} from './orgs.errors.js';
import { OrgsService } from './orgs.service.js';

@ApiController('orgs', 'orgs')
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @ListRoute(OrgResponseDto, {
    summary: 'List organisations',
    description: 'Organisations you belong to (all of them for admins).',
  })
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: OrgListQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<OrgResponseDto>> {
    return this.orgs.list(caller, query.search, window);
  }

  @Post()
  @HttpCode(201)
  @Endpoint({ summary: 'Create an organisation', description: 'You become its owner.', errors: [OrgSlugTakenError] })
  create(@CurrentUser() caller: AuthUser, @Body() dto: CreateOrgDto): Promise<OrgResponseDto> {
    return this.orgs.create(caller, dto);
  }

  @Get(':org')
  @Endpoint({ summary: 'Retrieve an organisation', description: 'Members and platform admins only; 404 otherwise.' })
  retrieve(@CurrentUser() caller: AuthUser, @OrgSlugParam() org: string): Promise<OrgResponseDto> {
    return this.orgs.get(caller, org);
  }

  @ListRoute(MemberResponseDto, {
    path: ':org/members',
    summary: 'List members',
    description: 'Members of an organisation with their roles.',
  })
  listMembers(
    @CurrentUser() caller: AuthUser,
    @OrgSlugParam() org: string,
    @Query() _query: PaginationQueryDto,
    @Paging() window: PageWindow,
  ): Promise<Slice<MemberResponseDto>> {
    return this.orgs.listMembers(caller, org, window);
  }

  @Post(':org/members')
  @Endpoint({
    summary: 'Invite a member or change a role',
    description:
      'Owners and org admins invite by email address or user id: the answer (202) is a pending invitation the ' +
      'invitee accepts with its token (POST /api/invitations/accept/), the same whether or not an account has ' +
      'that address; inviting again replaces a pending invitation. Platform admins add the member at once (201). ' +
      'Posting an existing member changes their role (201). Only owners invite owners or change an owner’s role.',
    errors: [LastOwnerError, NotOrgManagerError, OwnersOnlyError, UnknownUserError],
  })
  @ApiCreatedResponse({
    type: MemberResponseDto,
    description: 'The member, added by a platform admin, or an existing member with their new role.',
  })
  @ApiAcceptedResponse({
    type: CreatedInvitationResponseDto,
    description: 'The pending invitation, with its token: the only time the token is shown.',
  })
  async addMember(
    @CurrentUser() caller: AuthUser,
    @OrgSlugParam() org: string,
    @Body() dto: AddMemberDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<MemberResponseDto | CreatedInvitationResponseDto> {
    const result = await this.orgs.addMember(caller, org, dto);
    void reply.status('invitation' in result ? 202 : 201);
    return 'invitation' in result ? result.invitation : result.member;
  }

  @Delete(':org/members/:user')
  @HttpCode(204)
  @Endpoint({
    summary: 'Remove a member',
    description: 'Owners and org admins remove members; anyone may remove themselves. The last owner stays.',
    errors: [LastOwnerError, NotOrgManagerError, OwnersOnlyError],
  })
  async removeMember(
    @CurrentUser() caller: AuthUser,
    @OrgSlugParam() org: string,
    @ObjectIdParam('user', 'member (a user id)') user: string,
  ): Promise<void> {
    await this.orgs.removeMember(caller, org, user);
  }
}
