import { ApiPropertyOptional } from '@nestjs/swagger';
import { PaginationQueryDto, PLATFORM_ROLES, QueryBoolean, type PlatformRole } from '@app/common';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';

export const USER_ORDERINGS = ['email', '-email', 'name', '-name', 'created_at', '-created_at'] as const;

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
  ordering?: (typeof USER_ORDERINGS)[number];
}
