/**
 * What an `onRequest` answer may be: checked in the worker before it is posted (and on the main thread for remote
 * plugins), so the HTTP layer only ever gets `{ status, headers, body }` within bounds. Pure; worker code too.
 */
import type { ResponseBounds } from './protocol.js';

export const DEFAULT_RESPONSE_BOUNDS: ResponseBounds = {
  maxBodyBytes: 1024 * 1024,
  maxHeaders: 32,
  maxHeaderBytes: 8 * 1024,
};

/**
 * Response headers a plugin may set. Everything else is refused: Set-Cookie (a plugin must not write cookies on
 * the platform's origin), hop-by-hop headers (connection, keep-alive, proxy-*, te, trailer, transfer-encoding,
 * upgrade), what the HTTP layer computes (content-length, content-encoding, date, server) and the origin's security
 * policy (strict-transport-security, content-security-policy, access-control-*, x-frame-options, ...).
 */
const ALLOWED_HEADERS = new Set([
  'age',
  'cache-control',
  'content-disposition',
  'content-language',
  'content-location',
  'content-type',
  'etag',
  'expires',
  'last-modified',
  'link',
  'location',
  'retry-after',
  'vary',
  'www-authenticate',
]);
/** `x-` headers are the plugin's own, except these, which the platform or proxies set. */
const RESERVED_X_PREFIXES = ['x-plughub-', 'x-forwarded-', 'x-ratelimit-'];
const RESERVED_X_HEADERS = new Set([
  'x-content-type-options',
  'x-frame-options',
  'x-powered-by',
  'x-real-ip',
  'x-request-id',
  'x-xss-protection',
]);
/** RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9a-z-]{1,64}$/;
/** What Node accepts in a header value: tabs, visible ASCII and Latin-1; no CR, LF or NUL (header injection). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

export type ResponseProblem =
  | 'invalid_response'
  | 'invalid_status'
  | 'header_not_allowed'
  | 'invalid_header'
  | 'too_many_headers'
  | 'headers_too_large'
  | 'body_too_large';

export interface CheckedResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

export function isAllowedResponseHeader(name: string): boolean {
  if (ALLOWED_HEADERS.has(name)) return true;
  if (!name.startsWith('x-') || RESERVED_X_HEADERS.has(name)) return false;
  return !RESERVED_X_PREFIXES.some((prefix) => name.startsWith(prefix));
}

/** Statuses whose answer has no content (RFC 9110 §15.3.5, §15.3.6, §15.4.5): a body given with them is dropped. */
const NO_CONTENT_STATUSES = new Set([204, 205, 304]);

const problem = (reason: ResponseProblem, message: string) => ({ reason, message });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks what `onRequest` returned (its JSON text) and gives the normalised answer: `status` (default 200, a final
 * status: an integer 200–599, since a 1xx is informational and would leave the client waiting, or with 101 tell a
 * proxy the connection changed protocol), `headers` (lower-case names from the allow-list, string values), `body`
 * (any JSON; omitted when undefined, and for 204, 205 and 304, which have no content), or the first problem found.
 */
export function checkResponse(
  text: string | undefined,
  bounds: ResponseBounds,
): { response: CheckedResponse } | { problem: { reason: ResponseProblem; message: string } } {
  if (text === undefined) return { problem: problem('invalid_response', 'onRequest returned nothing') };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: problem('invalid_response', 'onRequest returned invalid JSON') };
  }
  if (!isObject(value))
    return { problem: problem('invalid_response', 'onRequest must return { status, headers, body }') };
  for (const key of Object.keys(value)) {
    if (key !== 'status' && key !== 'headers' && key !== 'body') {
      return { problem: problem('invalid_response', `onRequest returned an unknown field ${key.slice(0, 64)}`) };
    }
  }
  const status = value.status ?? 200;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return { problem: problem('invalid_status', 'status must be an integer from 200 to 599') };
  }
  const given = value.headers ?? {};
  if (!isObject(given)) return { problem: problem('invalid_header', 'headers must be an object of strings') };
  const names = Object.keys(given);
  if (names.length > bounds.maxHeaders) {
    return { problem: problem('too_many_headers', `more than ${bounds.maxHeaders} headers`) };
  }
  const headers: Record<string, string> = {};
  let headerBytes = 0;
  for (const raw of names) {
    const name = raw.toLowerCase();
    const v = given[raw];
    if (!TOKEN.test(name)) return { problem: problem('invalid_header', 'a header name is not a valid token') };
    if (!isAllowedResponseHeader(name)) {
      return { problem: problem('header_not_allowed', `the header ${name} may not be set by a plugin`) };
    }
    if (Object.prototype.hasOwnProperty.call(headers, name)) {
      return { problem: problem('invalid_header', `the header ${name} is given twice`) };
    }
    if (typeof v !== 'string' || !FIELD_VALUE.test(v)) {
      return { problem: problem('invalid_header', `the header ${name} must be a string without line breaks`) };
    }
    headerBytes += name.length + v.length;
    if (headerBytes > bounds.maxHeaderBytes) {
      return { problem: problem('headers_too_large', `headers larger than ${bounds.maxHeaderBytes} bytes`) };
    }
    headers[name] = v;
  }
  const response: CheckedResponse = { status, headers };
  if (value.body !== undefined && !NO_CONTENT_STATUSES.has(status)) {
    // Three UTF-8 bytes per UTF-16 unit at most: only large bodies need counting.
    const bodyText = JSON.stringify(value.body);
    if (bodyText.length * 3 > bounds.maxBodyBytes && Buffer.byteLength(bodyText) > bounds.maxBodyBytes) {
      return { problem: problem('body_too_large', `the body is larger than ${bounds.maxBodyBytes} bytes`) };
    }
    response.body = value.body;
  }
  return { response };
}
