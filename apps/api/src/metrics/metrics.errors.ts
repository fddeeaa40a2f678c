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
