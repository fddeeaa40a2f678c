import { ApiPropertyOptional } from '@nestjs/swagger';
import { BodyExamples, type PlatformRole } from '@app/common';
import { IsBoolean, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { PlatformRolesField } from './roles.field.js';

/** Partial update of a user. Only platform admins may change `roles` and `is_active`. */
@BodyExamples({ rename: { summary: 'Change the display name', value: { name: 'Ada King' } } })
export class PatchedUserDto {
  /** Display name. */
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  /**
   * A new password, at least 8 characters. Changing your own needs `current_password`; every JWT issued to the
   * user before the change stops working (API tokens stay).
   */
  @ApiPropertyOptional({ format: 'password', writeOnly: true, minLength: 8 })
  @IsOptional()
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password?: string;

  /** Your current password: required with `password` when you change your own. */
  @ApiPropertyOptional({ format: 'password', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  current_password?: string;

  /** Platform roles (admins only). */
  @PlatformRolesField()
  roles?: PlatformRole[];

  /** Deactivate or reactivate the account (admins only). */
  @IsOptional()
  @IsBoolean()
  is_active?: boolean;
}
