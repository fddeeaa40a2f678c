import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BodyExamples, type PlatformRole } from '@app/common';
import { IsEmail, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { HANDLE_PATTERN } from '../user.entity.js';
import { PlatformRolesField } from './roles.field.js';

@BodyExamples({
  user: {
    summary: 'A plain user (no platform role beyond user)',
    value: { email: 'ada@example.com', password: 'choose-a-long-passphrase', name: 'Ada Lovelace', roles: ['user'] },
  },
})
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

  /**
   * The publisher name of your plugin keys (`handle.plugin`): unique among users and organisations, and fixed once
   * the account exists. Derived from the email's local part when omitted (`ann.lee@…` → `ann-lee`, with `-2`, `-3`
   * … when that is taken).
   */
  @ApiPropertyOptional({ pattern: HANDLE_PATTERN, example: 'ann-lee' })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(HANDLE_PATTERN), {
    message: 'must be 1-50 lower-case letters, digits or dashes, not starting or ending with a dash',
  })
  handle?: string;

  /** Display name. */
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name: string;

  /** Platform roles; defaults to `["user"]`. */
  @PlatformRolesField()
  roles?: PlatformRole[];
}
