import { namedError } from '@app/common';

export class MetricsTokenError extends namedError(
  'UNAUTHENTICATED',
  'metrics_token',
  'PLUGHUB_METRICS_TOKEN is set and the request did not bring it as `Authorization: Bearer <token>`',
) {
  constructor() {
    super('GET /metrics needs the metrics token as a bearer token.');
  }
}

export class InvalidTimeRangeError extends namedError(
  'VALIDATION_ERROR',
  'invalid_range',
  'start_time is not before end_time',
) {
  constructor(start: Date, end: Date) {
    super('start_time must be before end_time.', { start_time: start.toISOString(), end_time: end.toISOString() }, [
      { field: 'start_time', message: 'must be before end_time' },
    ]);
  }
}

export class TooManyPointsError extends namedError(
  'VALIDATION_ERROR',
  'too_many_points',
  'the range holds more windows of the resolution than one answer carries (MAX_METRIC_WINDOWS)',
) {
  constructor(windows: number, max: number) {
    super(`The range holds ${windows} windows of this resolution; at most ${max} fit one answer.`, { windows, max }, [
      { field: 'resolution', message: `the range holds more than ${max} windows of it` },
    ]);
  }
}
