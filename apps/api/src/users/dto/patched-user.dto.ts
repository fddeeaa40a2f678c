import { ApiPropertyOptional } from '@nestjs/swagger';
import { PLATFORM_ROLES, type PlatformRole } from '@app/common';
import { ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

/** Partial update of a user. Only platform admins may change `roles` and `is_active`. */
export class PatchedUserDto {
  /** Display name. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  /** A new password, at least 8 characters. */
  @ApiPropertyOptional({ format: 'password', writeOnly: true, minLength: 8 })
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password?: string;

  /** Platform roles (admins only). */
  @ApiPropertyOptional({ enum: PLATFORM_ROLES, enumName: 'PlatformRole', isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(PLATFORM_ROLES, { each: true })
  roles?: PlatformRole[];

  /** Deactivate or reactivate the account (admins only). */
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}
