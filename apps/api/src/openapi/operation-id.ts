const ACTIONS: Record<string, string> = {
  post: 'create',
  put: 'update',
  patch: 'partial_update',
  delete: 'destroy',
};

/**
 * InvenTree's operationIds: the path segments after `/api/`, parameters dropped, joined by `_`,
 * plus the action. A GET is `list` when it answers a paginated list, else `retrieve`.
 *   GET /api/plugins/                 → plugins_list
 *   POST /api/plugins/{plugin}/install/ → plugins_install_create
 */
export function inventreeOperationId(path: string, method: string, isList: boolean): string {
  const segments = path
    .replace(/^\/api\//, '')
    .split('/')
    .filter((s) => s && !s.startsWith('{'))
    .map((s) => s.replace(/[^A-Za-z0-9]+/g, '_'));
  const action = method === 'get' ? (isList ? 'list' : 'retrieve') : ACTIONS[method];
  if (!action) throw new Error(`No InvenTree action for ${method.toUpperCase()} ${path}`);
  return [...segments, action].join('_');
}
