import { isUrlAllowed } from '@app/plugin-sdk';
import { readCapped } from './remote/remote-plugin-client.js';
import { RuntimeError } from './runtime-error.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const MAX_BODY_BYTES = 1024 * 1024;

export interface SandboxFetchArgs {
  url: string;
  init?: { method?: unknown; headers?: unknown; body?: unknown };
}

export interface SandboxFetchResult {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  body: string;
}

/**
 * `context.http.fetch` on the host: only http(s) URLs whose host is granted, no redirects followed (a redirect
 * could leave the allowed hosts), bounded time and response size.
 */
export async function sandboxFetch(
  args: SandboxFetchArgs,
  hosts: readonly string[],
  timeoutMs: number,
  fetchImpl: typeof fetch,
): Promise<SandboxFetchResult> {
  if (!isUrlAllowed(args.url, hosts)) {
    throw new RuntimeError('PLUGIN_PERMISSION_DENIED', `http:external does not allow ${safeOrigin(args.url)}`);
  }
  const init = args.init ?? {};
  const method = typeof init.method === 'string' ? init.method.toUpperCase() : 'GET';
  if (!METHODS.has(method)) throw new RuntimeError('INVALID_ARGUMENT', `unsupported method ${method}`);
  const headers: Record<string, string> = {};
  if (init.headers && typeof init.headers === 'object') {
    for (const [k, v] of Object.entries(init.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
  }
  let body: string | undefined;
  if (init.body !== undefined && init.body !== null) {
    if (typeof init.body === 'string') body = init.body;
    else {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  let response: Response;
  try {
    response = await fetchImpl(args.url, {
      method,
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const e = error as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError') throw new RuntimeError('PLUGIN_TIMEOUT', `fetch ${safeOrigin(args.url)} timed out`);
    throw new RuntimeError('PLUGIN_ERROR', `fetch ${safeOrigin(args.url)} failed: ${e.cause?.code ?? e.message}`);
  }
  let text: string;
  try {
    text = await readCapped(response, MAX_BODY_BYTES);
  } catch (error) {
    throw new RuntimeError('LIMIT_EXCEEDED', `fetch ${safeOrigin(args.url)}: ${(error as Error).message}`);
  }
  return { status: response.status, ok: response.ok, headers: Object.fromEntries(response.headers), body: text };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
