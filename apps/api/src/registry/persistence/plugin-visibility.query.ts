import { MANAGER_ORG_ROLES } from '../../auth/access.policy.js';
import type { Viewer } from '../../auth/auth.entity.js';

/**
 * Who may see a plugin, stored on it as one `audience` value so the catalog, its counts and its orderings are
 * served from indexes that start with it. Exactly one value per plugin:
 *
 * - `*`       live, approved and public: everyone;
 * - `u:<id>`  live, owned by that user and not public yet (or private): the owner (and admins);
 * - `om:<id>` live, owned by that organisation, approved and org-scoped: its members (managers included);
 * - `o:<id>`  live, owned by that organisation otherwise: its managers;
 * - `g`       a live system plugin that is not public: platform admins;
 * - `x`       unpublished: nobody. It sorts after every other value, so admins read `audience < x`.
 *
 * A viewer's values (`audienceOf`) name disjoint sets of plugins, so a count is the sum of index-range counts.
 * `canSee` (plugin-visibility.ts) is the rule; plugin-visibility.query.spec.ts checks that both agree for every kind
 * of viewer and plugin, through this very expression.
 */
export const AUDIENCE_EXPRESSION = {
  $switch: {
    branches: [
      { case: { $ne: [{ $ifNull: ['$deleted_at', null] }, null] }, then: 'x' },
      { case: { $and: [{ $eq: ['$has_approved', true] }, { $eq: ['$scope', 'public'] }] }, then: '*' },
      {
        case: { $and: [{ $eq: ['$owner_type', 'user'] }, { $eq: [{ $type: '$owner_id' }, 'string'] }] },
        then: { $concat: ['u:', '$owner_id'] },
      },
      {
        case: {
          $and: [
            { $eq: ['$owner_type', 'org'] },
            { $eq: [{ $type: '$owner_id' }, 'string'] },
            { $eq: ['$has_approved', true] },
            { $eq: ['$scope', 'org'] },
          ],
        },
        then: { $concat: ['om:', '$owner_id'] },
      },
      {
        case: { $and: [{ $eq: ['$owner_type', 'org'] }, { $eq: [{ $type: '$owner_id' }, 'string'] }] },
        then: { $concat: ['o:', '$owner_id'] },
      },
    ],
    default: 'g',
  },
} as const;

/** The update that (re)derives a plugin's `audience` from its stored fields, atomically, in the database. */
export const REFRESH_AUDIENCE = [{ $set: { audience: AUDIENCE_EXPRESSION } }];

/** The `audience` values whose plugins the viewer may see (undefined for platform admins: every live plugin). */
export function audienceOf(viewer: Viewer): string[] | undefined {
  if (viewer.isAdmin) return undefined;
  const values = ['*', `u:${viewer.id}`];
  for (const [orgId, role] of viewer.orgRoles) {
    values.push(`om:${orgId}`);
    if (MANAGER_ORG_ROLES.includes(role)) values.push(`o:${orgId}`);
  }
  return values;
}

/** `canSee` as a MongoDB filter over plugin documents, for lists and counts: one condition on the indexed audience. */
export function visibilityFilter(viewer: Viewer): Record<string, unknown> {
  const values = audienceOf(viewer);
  return { audience: values ? { $in: values } : { $lt: 'x' } };
}
