import { randomUUID } from 'node:crypto';
import type { WorkerResult } from '../sandbox/worker-host.js';
import type { HookName } from '../runtime.types.js';
import {
  DELIVERY_HEADER,
  INSTALLATION_HEADER,
  SIGNATURE_HEADER,
  signRemoteRequest,
  TIMESTAMP_HEADER,
} from './remote-signature.js';

const PATHS: Record<HookName, string> = {
  onInit: '/init',
  onMessage: '/message',
  onEvent: '/event',
  onProcess: '/process',
  onRequest: '/request',
  onHealth: '/health',
  onCleanup: '/cleanup',
};

/** Errors where the request provably never reached the plugin, so resending cannot run a hook twice. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface RemoteClientOptions {
  entryPoint: string;
  secret: string;
  installationId: string;
  fetch: typeof fetch;
  /** Attempts per call in total (first try included). */
  attempts: number;
  backoffMs: number;
}

/**
 * Calls a remote plugin's hooks over signed HTTP POSTs.
 *
 * Retries (up to `attempts`, exponential backoff `backoffMs * 2^n` with jitter, never past the call's deadline):
 * - every hook, when the connection could not be made (refused, DNS, connect timeout): nothing was delivered;
 * - `onHealth` only (it is read-only), also on 502/503/504 and on a dropped connection.
 * Everything else (4xx, 500, timeouts after the request was sent) is returned at once: `onMessage` and `onEvent`
 * may have side effects. Every attempt of one call carries the same `X-Plughub-Delivery` id.
 */
export class RemotePluginClient {
  constructor(private readonly options: RemoteClientOptions) {}

  async call(hook: HookName, payload: unknown, timeoutMs: number): Promise<WorkerResult> {
    const deadline = Date.now() + timeoutMs;
    const delivery = randomUUID();
    const body = JSON.stringify({ hook, installation_id: this.options.installationId, payload: payload ?? null });
    const url = this.options.entryPoint.replace(/\/+$/, '') + PATHS[hook];
    let lastError = 'not attempted';

    for (let attempt = 0; attempt < this.options.attempts; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const timestamp = Math.floor(Date.now() / 1000).toString();
      let response: Response;
      try {
        response = await this.options.fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signRemoteRequest(this.options.secret, timestamp, body),
            [DELIVERY_HEADER]: delivery,
            [INSTALLATION_HEADER]: this.options.installationId,
          },
          body,
          redirect: 'error',
          signal: AbortSignal.timeout(remaining),
        });
      } catch (error) {
        if (isAbort(error)) return timeout(timeoutMs);
        const code = causeCode(error);
        lastError = `${url}: ${code ?? (error as Error).message}`;
        const retryable =
          (code !== undefined && CONNECT_ERRORS.has(code)) || (hook === 'onHealth' && code === 'ECONNRESET');
        if (!retryable) return unreachable(lastError);
        await this.backoff(attempt, deadline);
        continue;
      }

      let text: string;
      try {
        text = await readCapped(response, MAX_RESPONSE_BYTES);
      } catch (error) {
        if (isAbort(error)) return timeout(timeoutMs);
        return unreachable(`${url}: ${(error as Error).message}`);
      }
      if (response.ok) {
        if (text.trim() === '') return { outcome: 'ok' };
        try {
          JSON.parse(text);
        } catch {
          return { outcome: 'error', error: { code: 'PLUGIN_ERROR', message: `${url}: the reply is not JSON` } };
        }
        return { outcome: 'ok', value: text };
      }
      lastError = `${url} answered ${response.status}: ${text.slice(0, 300)}`;
      if (hook === 'onHealth' && [502, 503, 504].includes(response.status)) {
        await this.backoff(attempt, deadline);
        continue;
      }
      return {
        outcome: 'error',
        error: { code: response.status >= 500 ? 'PLUGIN_UNREACHABLE' : 'PLUGIN_ERROR', message: lastError },
      };
    }
    return Date.now() >= deadline ? timeout(timeoutMs) : unreachable(lastError);
  }

  private async backoff(attempt: number, deadline: number): Promise<void> {
    const wait = this.options.backoffMs * 2 ** attempt * (0.75 + Math.random() / 2);
    const capped = Math.max(0, Math.min(wait, deadline - Date.now()));
    await new Promise((resolve) => setTimeout(resolve, capped));
  }
}

async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) throw new Error(`response larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function causeCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function timeout(ms: number): WorkerResult {
  return {
    outcome: 'timeout',
    error: { code: 'PLUGIN_TIMEOUT', message: `the remote plugin did not answer within ${ms} ms` },
  };
}

function unreachable(message: string): WorkerResult {
  return { outcome: 'error', error: { code: 'PLUGIN_UNREACHABLE', message } };
}

export { readCapped };
