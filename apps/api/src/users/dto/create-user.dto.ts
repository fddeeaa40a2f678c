import { ApiProperty } from '@nestjs/swagger';
import type { PlatformRole } from '@app/common';
import { IsEmail, IsString, MaxLength, MinLength } from 'class-validator';
import { PlatformRolesField } from './roles.field.js';

export class CreateUserDto {
  /** Login email address; must not be taken. */
  @IsEmail()
  @MaxLength(254)
  email: string;

  /** Password, at least 8 characters. */
  @ApiProperty({ format: 'password', writeOnly: true, minLength: 8 })
  @IsString()
  @MinLength(8)
  @MaxLength(256)
  password: string;

  /** Display name. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  /** Platform roles; defaults to `["user"]`. */
  @PlatformRolesField()
  roles?: PlatformRole[];
}
