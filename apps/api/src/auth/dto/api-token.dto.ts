import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ApiNullableDate,
  BodyExamples,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyNullableDate,
  TOKEN_SCOPES,
  type TokenScope,
  wireFields,
} from '@app/common';
import { ArrayUnique, IsArray, IsDateString, IsIn, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import type { ApiToken } from '../auth.entity.js';

@BodyExamples({
  read: { summary: 'A read-only token for a script', value: { name: 'CI catalog sync', scopes: ['read'] } },
})
export class CreateApiTokenDto {
  /** A label to recognise the token by, e.g. "CI deploy". */
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;

  /** Restrict the token; omitted or empty means all of the user's rights. */
  @ApiPropertyOptional({ enum: TOKEN_SCOPES, enumName: 'TokenScope', isArray: true })
  @IsOptional()
  @IsArray()
  @ArrayUnique()
  @IsIn(TOKEN_SCOPES, { each: true })
  scopes?: TokenScope[];

  /** When the token stops working (ISO 8601); omitted means never. */
  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsDateString()
  expires_at?: string;
}

export class ApiTokenResponseDto {
  /** Token id, used to revoke it. */
  @ReadOnlyField()
  id: string;
  /** The label given at creation. */
  name: string;
  /** The first characters of the key, to tell tokens apart. */
  @ReadOnlyField()
  key_prefix: string;
  /** Scopes the token is limited to; empty means all of the user's rights. */
  @ApiProperty({ enum: TOKEN_SCOPES, enumName: 'TokenScope', isArray: true })
  scopes: TokenScope[];
  /** When the token stops working, or null for never. */
  @ApiNullableDate()
  expires_at: string | null;
  /** When the token was last used (minute precision), or null. */
  @ReadOnlyNullableDate()
  last_used_at: string | null;
  /** When the token was created. */
  @ReadOnlyDate()
  created_at: string;

  static from(token: ApiToken): ApiTokenResponseDto {
    return wireFields(token, 'id', 'name', 'keyPrefix', 'scopes', 'expiresAt', 'lastUsedAt', 'createdAt');
  }
}

/** Answer to token creation: the only time the key is ever shown. */
export class CreatedApiTokenResponseDto {
  /** Token id, used to revoke it. */
  @ReadOnlyField()
  id: string;
  /** The label given at creation. */
  name: string;
  /** The secret key; send it as `Authorization: Token <key>`. Shown only in this response. */
  @ReadOnlyField()
  key: string;
  /** Scopes the token is limited to; empty means all of the user's rights. */
  @ApiProperty({ enum: TOKEN_SCOPES, enumName: 'TokenScope', isArray: true })
  scopes: TokenScope[];
  /** When the token stops working, or null for never. */
  @ApiNullableDate()
  expires_at: string | null;
  /** When the token was created. */
  @ReadOnlyDate()
  created_at: string;

  static fromCreated(token: ApiToken, key: string): CreatedApiTokenResponseDto {
    const { id, name, scopes, expires_at, created_at } = ApiTokenResponseDto.from(token);
    return { id, name, key, scopes, expires_at, created_at };
  }
}
