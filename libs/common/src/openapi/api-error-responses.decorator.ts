import { ApiExtension } from '@nestjs/swagger';

export const ERROR_STATUSES_EXTENSION = 'x-error-statuses';

/**
 * Declares error statuses an operation can answer beyond the ones every operation documents
 * (400, 401, 403, 404, 500); the spec generator turns each into a reference to the shared Error
 * response. An extension rather than @ApiResponse, so the inferred success response stays intact.
 */
export function ApiErrorResponses(...statuses: Array<403 | 408 | 409 | 422 | 429>) {
  return ApiExtension(ERROR_STATUSES_EXTENSION, statuses);
}
