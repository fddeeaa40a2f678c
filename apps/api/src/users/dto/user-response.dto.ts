import { ApiProperty } from '@nestjs/swagger';
import {
  PLATFORM_ROLES,
  type PlatformRole,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyNullableDate,
  wireFields,
} from '@app/common';
import { HANDLE_PATTERN, type User } from '../user.entity.js';

export class UserResponseDto {
  /** Unique id of the user. */
  @ReadOnlyField()
  id: string;
  /** Login email address, unique on this instance. */
  email: string;
  /** Publisher name of the user's plugin keys (`handle.plugin`); unique among users and organisations, fixed. */
  @ApiProperty({ pattern: HANDLE_PATTERN, readOnly: true })
  handle: string;
  /** Display name. */
  name: string;
  /** Platform roles; `admin` implies all others. */
  @ApiProperty({ enum: PLATFORM_ROLES, enumName: 'PlatformRole', isArray: true })
  roles: PlatformRole[];
  /** Inactive users cannot log in and their tokens stop working. */
  is_active: boolean;
  /** When the user last obtained a token with their password. */
  @ReadOnlyNullableDate()
  last_login_at: string | null;
  /** When the user was created. */
  @ReadOnlyDate()
  created_at: string;

  static from(user: User): UserResponseDto {
    return wireFields(user, 'id', 'email', 'handle', 'name', 'roles', 'isActive', 'lastLoginAt', 'createdAt');
  }
}
