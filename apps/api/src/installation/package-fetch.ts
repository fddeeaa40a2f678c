import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type HostResolver, isReservedAddress, type ResolvedAddress } from '@app/runtime';
import { isLoopbackOrigin } from '../config/app-config.js';
import { PackageTooLargeError } from '../registry/registry.errors.js';
import {
  IntegrityMismatchError,
  UrlAddressNotAllowedError,
  UrlFetchFailedError,
  UrlNotAllowedError,
  UrlNotHttpsError,
} from './installation.errors.js';

/** A Subresource Integrity string: `sha256-`, `sha384-` or `sha512-` and the base64 digest. */
export const INTEGRITY_PATTERN = '^sha(256|384|512)-[A-Za-z0-9+/]{43,86}={0,2}$';

export interface PackageFetchPolicy {
  /** Origins packages may come from (PLUGHUB_INSTALL_URL_ALLOWLIST, in URL.origin form). */
  allowlist: readonly string[];
  /** The largest package accepted, in bytes (PLUGHUB_MAX_UPLOAD_BYTES). */
  maxBytes: number;
  timeoutMs: number;
  resolve: HostResolver;
}

/**
 * The `url` install source's download, with the SSRF rules of the runtime's fetch: the URL's origin must be
 * listed (exactly), https unless the listed origin is a loopback http one, no credentials; a host *name* must
 * resolve only to public addresses (every address checked) unless its origin is a listed loopback one, and the
 * connection goes to the address checked, so a second DNS answer cannot rebind it. No redirect is followed; the
 * body is capped at `maxBytes` (also when Content-Length lies) and must match `integrity`. Errors never carry the
 * URL's path or query (it may hold a token), only its origin.
 */
export async function fetchPackage(rawUrl: string, integrity: string, policy: PackageFetchPolicy): Promise<Buffer> {
  const url = parseAllowed(rawUrl, policy.allowlist);
  const pinned = await pin(url, policy.resolve);
  const signal = AbortSignal.timeout(policy.timeoutMs);
  let response: IncomingMessage;
  try {
    response = await get(url, pinned, signal);
  } catch (error) {
    throw new UrlFetchFailedError(url.origin, signal.aborted ? 'timed out' : describe(error));
  }
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    response.destroy();
    const problem =
      status >= 300 && status < 400 ? 'it answered a redirect, which is not followed' : 'not a 2xx answer';
    throw new UrlFetchFailedError(url.origin, problem, status);
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > policy.maxBytes) {
    response.destroy();
    throw new PackageTooLargeError(policy.maxBytes, declared);
  }
  const bytes = await readCapped(response, policy.maxBytes, signal, url.origin);
  checkIntegrity(bytes, integrity);
  return bytes;
}

/** The URL if its origin is allowed; the errors name the origin only. */
export function parseAllowed(rawUrl: string, allowlist: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new UrlNotAllowedError('an invalid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UrlNotAllowedError(`${url.protocol} URLs`);
  if (url.protocol === 'http:' && !isLoopbackOrigin(url)) throw new UrlNotHttpsError(url.origin);
  if (url.username || url.password || !allowlist.includes(url.origin)) throw new UrlNotAllowedError(url.origin);
  return url;
}

/** Where to connect: an IP literal or a loopback origin as listed; a name only if every address it has is public. */
async function pin(url: URL, resolve: HostResolver): Promise<ResolvedAddress | null> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (isIP(host) || isLoopbackOrigin(url)) return null;
  let addresses: ResolvedAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    throw new UrlFetchFailedError(url.origin, describe(error));
  }
  if (addresses.length === 0) throw new UrlFetchFailedError(url.origin, 'its name has no address');
  if (addresses.some(isReservedAddress)) throw new UrlAddressNotAllowedError(url.origin);
  return addresses[0];
}

function get(url: URL, pinned: ResolvedAddress | null, signal: AbortSignal): Promise<IncomingMessage> {
  // The name stays in the URL (Host header, TLS server name, certificate check); only the lookup is pinned.
  const lookup: LookupFunction | undefined = pinned
    ? (_hostname, options, callback) => {
        if ((options as { all?: boolean }).all) callback(null, [{ address: pinned.address, family: pinned.family }]);
        else callback(null, pinned.address, pinned.family);
      }
    : undefined;
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', headers: { accept: 'application/gzip' }, lookup, signal }, resolve);
    req.on('error', reject);
    req.end();
  });
}

async function readCapped(res: IncomingMessage, limit: number, signal: AbortSignal, origin: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.byteLength;
      if (size > limit) {
        res.destroy();
        throw new PackageTooLargeError(limit, size);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof PackageTooLargeError) throw error;
    throw new UrlFetchFailedError(origin, signal.aborted ? 'timed out' : describe(error));
  }
  return Buffer.concat(chunks);
}

/** Throws IntegrityMismatchError unless `bytes` hash to `integrity` (SRI, sha256/384/512). */
export function checkIntegrity(bytes: Buffer, integrity: string): void {
  const dash = integrity.indexOf('-');
  const algorithm = integrity.slice(0, dash);
  const actual = `${algorithm}-${createHash(algorithm).update(bytes).digest('base64')}`;
  if (actual !== integrity) throw new IntegrityMismatchError(integrity, actual);
}

function describe(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'the connection failed';
}
