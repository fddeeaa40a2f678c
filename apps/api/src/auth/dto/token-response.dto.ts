import { ApiProperty } from '@nestjs/swagger';
import { ReadOnlyField, ReadOnlyInt } from '@app/common';

export class TokenResponseDto {
  /** A JWT to send as `Authorization: Bearer <token>`. */
  @ReadOnlyField()
  access_token: string;
  /** Always `Bearer`. */
  @ApiProperty({ enum: ['Bearer'], readOnly: true })
  token_type: 'Bearer';
  /** Seconds until the token expires. */
  @ReadOnlyInt()
  expires_in: number;
}
