import { ApiPropertyOptional } from '@nestjs/swagger';
import { BodyExamples } from '@app/common';
import { IsEmail, IsOptional, IsString, MaxLength } from 'class-validator';

/** Credentials for a JWT; alternatively send them as HTTP Basic and leave the body empty. */
@BodyExamples({
  basic: { summary: 'Empty: the credentials come from HTTP Basic (Authorize → basicAuth)', value: {} },
  password: {
    summary: 'Email and password in the body',
    value: { email: 'admin@plughub.local', password: 'your-password' },
  },
})
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
