import { ApiPropertyOptional } from '@nestjs/swagger';
import { PaginationQueryDto, PLATFORM_ROLES, QueryBoolean, type PlatformRole } from '@app/common';
import { USER_ORDERINGS, type UserOrdering } from '../user.entity.js';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export class UserListQueryDto extends PaginationQueryDto {
  /** Case-insensitive match on email or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  /** Only users with this role. */
  @ApiPropertyOptional({ enum: PLATFORM_ROLES, enumName: 'PlatformRole' })
  @IsOptional()
  @IsIn(PLATFORM_ROLES)
  role?: PlatformRole;

  @QueryBoolean('Only active (true) or inactive (false) users.')
  is_active?: boolean;

  /** Which field to use when ordering the results. */
  @ApiPropertyOptional({ enum: USER_ORDERINGS, enumName: 'UserOrdering' })
  @IsOptional()
  @IsIn(USER_ORDERINGS)
  ordering?: UserOrdering;
}
