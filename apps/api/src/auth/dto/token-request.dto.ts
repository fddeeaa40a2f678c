import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';

/** Credentials for a JWT; alternatively send them as HTTP Basic and leave the body empty. */
export class TokenRequestDto {
  /** Login email address. */
  @IsOptional()
  @IsEmail()
  @MaxLength(254)
  email?: string;

  /** Password. */
  @ApiPropertyOptional({ format: 'password', writeOnly: true })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  password?: string;
}
