import { ApiProperty } from '@nestjs/swagger';
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export class FieldErrorDto {
  /** Dotted path of the offending field, e.g. `config.batch_size`. */
  field: string;
  /** What is wrong with it. */
  message: string;
}

/** The one error body every operation answers with on failure. */
export class ErrorResponseDto {
  /** Machine-readable error code from the catalogue. */
  @ApiProperty({ enum: ERROR_CODES, enumName: 'ErrorCode' })
  code: ErrorCode;
  /** A human sentence describing the error. */
  message: string;
  /** The HTTP status, repeated for clients that only see the body. */
  status: number;
  /** One entry per invalid field; empty when the error is not about fields. */
  @ApiProperty({ type: () => [FieldErrorDto] })
  errors: FieldErrorDto[];
  /** Extra structured context, specific to the code. */
  @ApiProperty({ type: 'object', additionalProperties: true })
  details: Record<string, unknown>;
  /** The id of the request, also sent as the X-Request-Id header and written to the logs. */
  request_id: string;
}
