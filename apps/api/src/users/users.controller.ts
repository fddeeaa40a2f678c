import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  ApiErrors,
  Authenticated,
  type AuthUser,
  CurrentUser,
  ObjectIdParam,
  PaginatedList,
  type PageWindow,
  Paging,
  type Slice,
} from '@app/common';
import { CreateUserDto } from './dto/create-user.dto.js';
import { PatchedUserDto } from './dto/patched-user.dto.js';
import { UserListQueryDto } from './dto/user-list-query.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { AdminOnlyChangeError, EmailTakenError, LastAdminError } from './users.errors.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: 'List users', description: 'All users of this instance. Platform admins only.' })
  @PaginatedList(UserResponseDto)
  list(@Query() query: UserListQueryDto, @Paging() window: PageWindow): Promise<Slice<UserResponseDto>> {
    return this.users.list(query, window);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @ApiErrors(EmailTakenError)
  @ApiOperation({ summary: 'Create a user', description: 'Creates a user with the given roles. Platform admins only.' })
  create(@Body() dto: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(dto);
  }

  @Get(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Retrieve a user', description: 'Admins may read any user; others only themselves.' })
  retrieve(@CurrentUser() caller: AuthUser, @ObjectIdParam('id', 'user') id: string): Promise<UserResponseDto> {
    return this.users.get(caller, id);
  }

  @Patch(':id')
  @Authenticated()
  @ApiErrors(LastAdminError, AdminOnlyChangeError)
  @ApiOperation({
    summary: 'Update a user',
    description: 'Change name or password (self or admin); roles and is_active are admin-only.',
  })
  partialUpdate(
    @CurrentUser() caller: AuthUser,
    @ObjectIdParam('id', 'user') id: string,
    @Body() dto: PatchedUserDto,
  ): Promise<UserResponseDto> {
    return this.users.update(caller, id, dto);
  }
}
