import type { HttpMethod, PluginRequest, PluginRequestUser } from '@app/plugin-sdk';
import type { RequestInput } from '../runtime.types.js';

/**
 * Request headers a plugin never sees: the caller's credentials for the platform (a plugin must not be able to act
 * as its caller) and hop-by-hop headers, which belong to the connection, not to the request.
 */
const WITHHELD_HEADERS = new Set([
  'authorization',
  'cookie',
  'proxy-authorization',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/;
const MAX_HEADERS = 100;

const text = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

/** Lower-case names, string values (repeated headers joined with `, `), credentials and hop-by-hop removed. */
export function requestHeaders(headers: RequestInput['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  let count = 0;
  for (const [raw, value] of Object.entries(headers)) {
    const name = raw.toLowerCase();
    if (!TOKEN.test(name) || WITHHELD_HEADERS.has(name) || name.startsWith('x-plughub-')) continue;
    const joined = Array.isArray(value)
      ? value
          .map(text)
          .filter((v) => v !== undefined)
          .join(', ')
      : text(value);
    if (joined === undefined || ++count > MAX_HEADERS) continue;
    out[name] = joined;
  }
  return out;
}

function query(input: RequestInput['query']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(input ?? {})) {
    if (Array.isArray(value)) out[name] = value.map(text).filter((v): v is string => v !== undefined);
    else {
      const v = text(value);
      if (v !== undefined) out[name] = v;
    }
  }
  return out;
}

function user(input: RequestInput['user']): PluginRequestUser | null {
  if (!input || typeof input.id !== 'string') return null;
  const out: PluginRequestUser = { id: input.id };
  if (typeof input.name === 'string') out.name = input.name;
  if (Array.isArray(input.roles)) out.roles = input.roles.filter((r): r is string => typeof r === 'string');
  return out;
}

/** What onRequest receives: the caller's request, its matched parameters, and nothing it must not see. */
export function pluginRequest(input: RequestInput, method: HttpMethod, params: Record<string, string>): PluginRequest {
  return {
    method,
    path: input.path.replace(/^\/+/, ''),
    params,
    query: query(input.query),
    headers: requestHeaders(input.headers),
    body: input.body === undefined ? null : input.body,
    user: user(input.user),
  };
}
