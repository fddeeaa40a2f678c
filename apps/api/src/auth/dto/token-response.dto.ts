import { ApiProperty } from '@nestjs/swagger';

export class TokenResponseDto {
  /** A JWT to send as `Authorization: Bearer <token>`. */
  @ApiProperty({ readOnly: true })
  access_token: string;
  /** Always `Bearer`. */
  @ApiProperty({ enum: ['Bearer'], readOnly: true })
  token_type: 'Bearer';
  /** Seconds until the token expires. */
  @ApiProperty({ type: 'integer', readOnly: true })
  expires_in: number;
}
