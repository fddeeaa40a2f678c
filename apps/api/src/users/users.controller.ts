import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrorResponses,
  ApiPaginatedResponse,
  Authenticated,
  type AuthUser,
  CurrentUser,
  page,
  type Paginated,
} from '@app/common';
import type { FastifyRequest } from 'fastify';
import { CreateUserDto } from './dto/create-user.dto.js';
import { PatchedUserDto } from './dto/patched-user.dto.js';
import { UserListQueryDto } from './dto/user-list-query.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: 'List users', description: 'All users of this instance. Platform admins only.' })
  @ApiPaginatedResponse(UserResponseDto)
  list(@Query() query: UserListQueryDto, @Req() req: FastifyRequest): Promise<Paginated<UserResponseDto>> {
    return page(req, query, (w) => this.users.list(query, w), UserResponseDto.from);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @ApiErrorResponses(409)
  @ApiOperation({ summary: 'Create a user', description: 'Creates a user with the given roles. Platform admins only.' })
  async create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.create(dto));
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Retrieve a user', description: 'Admins may read any user; others only themselves.' })
  async retrieve(@CurrentUser() caller: AuthUser, @Param('id') id: string): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.get(caller, id));
  }

  @Patch(':id')
  @Authenticated()
  @ApiErrorResponses(409)
  @ApiOperation({
    summary: 'Update a user',
    description: 'Change name or password (self or admin); roles and is_active are admin-only.',
  })
  async partialUpdate(
    @CurrentUser() caller: AuthUser,
    @Param('id') id: string,
    @Body() dto: PatchedUserDto,
  ): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.users.update(caller, id, dto));
  }
}
