import { Body, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiController, Authenticated, CurrentUser, Endpoint, ListRoute, ObjectIdParam, Paging } from '@app/common';
import type { AuthUser, PageWindow, Slice } from '@app/common';
import { CreateUserDto } from './dto/create-user.dto.js';
import { PatchedUserDto } from './dto/patched-user.dto.js';
import { UserListQueryDto } from './dto/user-list-query.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { AdminOnlyChangeError, EmailTakenError, LastAdminError } from './users.errors.js';
import { UsersService } from './users.service.js';

@ApiController('users', 'users', 'per-route')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @ListRoute(UserResponseDto, {
    summary: 'List users',
    description: 'All users of this instance. Platform admins only.',
  })
  @Authenticated({ roles: ['admin'] })
  list(@Query() query: UserListQueryDto, @Paging() window: PageWindow): Promise<Slice<UserResponseDto>> {
    return this.users.list(query, window);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Create a user',
    description: 'Creates a user with the given roles. Platform admins only.',
    errors: [EmailTakenError],
  })
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Get(':id')
  @Authenticated()
  @Endpoint({ summary: 'Retrieve a user', description: 'Admins may read any user; others only themselves.' })
  retrieve(@CurrentUser() caller: AuthUser, @ObjectIdParam('id', 'user') id: string): Promise<UserResponseDto> {
    return this.users.get(caller, id);
  }

  @Patch(':id')
  @Authenticated()
  @Endpoint({
    summary: 'Update a user',
    description: 'Change name or password (self or admin); roles and is_active are admin-only.',
    errors: [LastAdminError, AdminOnlyChangeError],
  })
  partialUpdate(
    @CurrentUser() caller: AuthUser,
    @ObjectIdParam('id', 'user') id: string,
    @Body() dto: PatchedUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(caller, id, dto);
  }
}
