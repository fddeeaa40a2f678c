import { QueryInt } from '../validation/decorators.js';

/** limit/offset pagination, as InvenTree and Django REST framework do it. */
export class PaginationQueryDto {
  /** Number of results to return per page. Values above the maximum are clamped to it. */
  @QueryInt({ min: 1, description: 'Number of results to return per page.' })
  limit?: number;

  /** The initial index from which to return the results. */
  @QueryInt({ min: 0, description: 'The initial index from which to return the results.' })
  offset?: number;
}
