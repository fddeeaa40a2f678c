import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrorResponses,
  ApiPaginatedResponse,
  Authenticated,
  type AuthUser,
  CurrentUser,
  page,
  type Paginated,
  PaginationQueryDto,
} from '@app/common';
import type { FastifyRequest } from 'fastify';
import { AddMemberDto, CreateOrgDto, MemberResponseDto, OrgListQueryDto, OrgResponseDto } from './dto/org.dto.js';
import { OrgsService } from './orgs.service.js';

@ApiTags('orgs')
@Controller('orgs')
@Authenticated()
export class OrgsController {
  constructor(private readonly orgs: OrgsService) {}

  @Get()
  @ApiOperation({ summary: 'List organisations', description: 'Organisations you belong to (all of them for admins).' })
  @ApiPaginatedResponse(OrgResponseDto)
  list(
    @CurrentUser() caller: AuthUser,
    @Query() query: OrgListQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<OrgResponseDto>> {
    return page(
      req,
      query,
      (w) => this.orgs.list(caller, query.search, w),
      (v) => OrgResponseDto.from(v.org, v.myRole),
    );
  }

  @Post()
  @HttpCode(201)
  @ApiErrorResponses(409)
  @ApiOperation({ summary: 'Create an organisation', description: 'You become its owner.' })
  async create(@CurrentUser() caller: AuthUser, @Body() dto: CreateOrgDto): Promise<OrgResponseDto> {
    const view = await this.orgs.create(caller, dto);
    return OrgResponseDto.from(view.org, view.myRole);
  }

  @Get(':org')
  @ApiOperation({
    summary: 'Retrieve an organisation',
    description: 'Members and platform admins only; 404 otherwise.',
  })
  async retrieve(@CurrentUser() caller: AuthUser, @Param('org') org: string): Promise<OrgResponseDto> {
    const view = await this.orgs.get(caller, org);
    return OrgResponseDto.from(view.org, view.myRole);
  }

  @Get(':org/members')
  @ApiOperation({ summary: 'List members', description: 'Members of an organisation with their roles.' })
  @ApiPaginatedResponse(MemberResponseDto)
  listMembers(
    @CurrentUser() caller: AuthUser,
    @Param('org') org: string,
    @Query() query: PaginationQueryDto,
    @Req() req: FastifyRequest,
  ): Promise<Paginated<MemberResponseDto>> {
    return page(
      req,
      query,
      (w) => this.orgs.listMembers(caller, org, w),
      (m) => MemberResponseDto.from(m.membership, m.user),
    );
  }

  @Post(':org/members')
  @HttpCode(201)
  @ApiErrorResponses(409)
  @ApiOperation({
    summary: 'Add a member or change a role',
    description: 'Owners and org admins add users by id or email; posting an existing member changes their role.',
  })
  async addMember(
    @CurrentUser() caller: AuthUser,
    @Param('org') org: string,
    @Body() dto: AddMemberDto,
  ): Promise<MemberResponseDto> {
    const { membership, user } = await this.orgs.addMember(caller, org, dto);
    return MemberResponseDto.from(membership, user);
  }

  @Delete(':org/members/:user')
  @HttpCode(204)
  @ApiErrorResponses(409)
  @ApiOperation({
    summary: 'Remove a member',
    description: 'Owners and org admins remove members; anyone may remove themselves. The last owner stays.',
  })
  async removeMember(
    @CurrentUser() caller: AuthUser,
    @Param('org') org: string,
    @Param('user') user: string,
  ): Promise<void> {
    await this.orgs.removeMember(caller, org, user);
  }
}
