import { ApiProperty } from '@nestjs/swagger';
import { anyJsonValue, BodyExamples, BodyInt } from '@app/common';
import { IsDefined } from 'class-validator';

/** Any JSON value but null (an Execute input). */
const JSON_VALUE = [
  { type: 'object', additionalProperties: true },
  { type: 'array', items: {} },
  { type: 'string' },
  { type: 'number' },
  { type: 'boolean' },
];

/** POST /api/plugins/{plugin}/execute/ (seed 002's Execute step). */
@BodyExamples({
  array: { summary: "Process an array (seed 002's example)", value: { data: [1, 2, 3], timeout_seconds: 10 } },
})
export class ExecutePluginDto {
  /** What the plugin's onProcess(data) receives: any JSON value (not null). */
  @ApiProperty({ oneOf: JSON_VALUE, example: [1, 2, 3] })
  @IsDefined()
  data: unknown;

  @BodyInt({
    min: 1,
    max: 300,
    optional: true,
    description: "The longest to wait for the answer, in seconds; the installation's own timeout_ms bounds it.",
  })
  timeout_seconds?: number;
}

/** What onProcess returned, and how long the call took. */
export class ExecuteResultDto {
  /** onProcess's return value (any JSON value; null when it returned nothing). */
  @ApiProperty({
    ...anyJsonValue(),
    readOnly: true,
    example: [2, 4, 6],
  })
  result: unknown;

  /** Wall time of the call as the API measured it, in milliseconds. */
  @ApiProperty({ type: 'number', minimum: 0, readOnly: true, example: 3.2 })
  duration_ms: number;
}
