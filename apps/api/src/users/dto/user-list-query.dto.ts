import { OptionalEnumField, PaginationQueryDto, PLATFORM_ROLES, type PlatformRole, QueryBoolean } from '@app/common';
import { USER_ORDERINGS, type UserOrdering } from '../user.entity.js';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export class UserListQueryDto extends PaginationQueryDto {
  /** Case-insensitive match on email or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  search?: string;

  /** Only users with this role. */
  @OptionalEnumField(PLATFORM_ROLES, 'PlatformRole')
  role?: PlatformRole;

  @QueryBoolean('Only active (true) or inactive (false) users.')
  is_active?: boolean;

  /** Which field to use when ordering the results. */
  @OptionalEnumField(USER_ORDERINGS, 'UserOrdering')
  ordering?: UserOrdering;
}
