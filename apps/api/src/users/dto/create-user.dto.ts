import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PLATFORM_ROLES, type PlatformRole } from '@app/common';
import { ArrayUnique, IsArray, IsEmail, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';

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
  @ApiPropertyOptional({ enum: PLATFORM_ROLES, enumName: 'PlatformRole', isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(PLATFORM_ROLES, { each: true })
  roles?: PlatformRole[];
}
