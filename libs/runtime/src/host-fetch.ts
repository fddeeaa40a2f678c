import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { isUrlAllowed } from '@app/plugin-sdk';
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

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (the default is the system resolver, `dns.lookup`). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) =>
  (await lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/**
 * Addresses a granted *name* may not resolve to: loopback, private, link-local (cloud metadata services live at
 * 169.254.169.254 and fd00:ec2::254), carrier-grade NAT, unspecified, multicast and reserved ranges. A grant that
 * names an IP literal reaches that literal; operators can open more ranges with `privateNetworks`.
 */
function blockedRanges(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv4');
  }
  for (const [net, prefix] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
    ['64:ff9b::', 96],
    ['2002::', 16],
  ] as const) {
    list.addSubnet(net, prefix, 'ipv6');
  }
  return list;
}

const BLOCKED = blockedRanges();

export interface FetchPolicy {
  resolve: HostResolver;
  /** CIDRs (`10.1.0.0/16`, `fd12::/64`) the platform lets granted names reach although they are private. */
  privateNetworks: BlockList;
}

export function privateNetworkList(cidrs: readonly string[] = []): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, prefix] = cidr.split('/');
    const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    list.addSubnet(net, Number(prefix ?? (family === 'ipv6' ? 128 : 32)), family);
  }
  return list;
}

/** The address as a plain IPv4 when it is an IPv4-mapped IPv6 one (`::ffff:127.0.0.1`). */
function unmapped(address: ResolvedAddress): ResolvedAddress {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address.address);
  return m ? { address: m[1], family: 4 } : address;
}

function isBlocked(address: ResolvedAddress, policy: FetchPolicy): boolean {
  const a = unmapped(address);
  const type = a.family === 6 ? 'ipv6' : 'ipv4';
  return BLOCKED.check(a.address, type) && !policy.privateNetworks.check(a.address, type);
}

/**
 * Whether an address is loopback, private, link-local or reserved (the ranges a granted name may not reach), for
 * other host-side fetches that follow the same rule (the installation module's `url` source).
 */
export function isReservedAddress(address: ResolvedAddress): boolean {
  const a = unmapped(address);
  return BLOCKED.check(a.address, a.family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * `context.http.fetch` on the host: only http(s) URLs whose host is granted; the name is resolved once, every
 * address it resolves to must be public (or in `privateNetworks`), and the connection goes to the address checked,
 * so a second DNS answer cannot rebind it. No redirects are followed (a redirect could leave the allowed hosts);
 * time and response size are bounded.
 */
export async function sandboxFetch(
  args: SandboxFetchArgs,
  hosts: readonly string[],
  timeoutMs: number,
  policy: FetchPolicy,
): Promise<SandboxFetchResult> {
  if (!isUrlAllowed(args.url, hosts)) {
    throw new RuntimeError(
      'PLUGIN_PERMISSION_DENIED',
      `http:external does not allow ${safeOrigin(args.url)}`,
      'host_not_granted',
    );
  }
  const url = new URL(args.url);
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
  const pinned = await pin(url, policy);
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await send(url, method, headers, body, pinned, signal);
    const text = await readCapped(response, MAX_BODY_BYTES, signal);
    const status = response.statusCode ?? 0;
    return { status, ok: status >= 200 && status < 300, headers: flatHeaders(response), body: text };
  } catch (error) {
    if (error instanceof RuntimeError) throw error;
    const e = error as Error & { code?: string };
    if (signal.aborted) throw new RuntimeError('PLUGIN_TIMEOUT', `fetch ${safeOrigin(args.url)} timed out`);
    throw new RuntimeError('PLUGIN_ERROR', `fetch ${safeOrigin(args.url)} failed: ${e.code ?? e.message}`);
  }
}

/** The one address the request will connect to, after checking every address the name has. */
async function pin(url: URL, policy: FetchPolicy): Promise<ResolvedAddress> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const literal = isIP(host);
  // An IP literal was granted as such (isUrlAllowed matched it): the grant names that address.
  if (literal) return { address: host, family: literal === 6 ? 6 : 4 };
  let addresses: ResolvedAddress[];
  try {
    addresses = await policy.resolve(host);
  } catch (error) {
    throw new RuntimeError(
      'PLUGIN_ERROR',
      `fetch ${url.origin} failed: ${(error as { code?: string }).code ?? 'DNS lookup failed'}`,
    );
  }
  if (addresses.length === 0) throw new RuntimeError('PLUGIN_ERROR', `fetch ${url.origin} failed: no address`);
  const blocked = addresses.find((a) => isBlocked(a, policy));
  if (blocked) {
    throw new RuntimeError(
      'PLUGIN_PERMISSION_DENIED',
      `http:external does not allow ${url.origin}: it resolves to ${blocked.address}, a private or reserved address`,
      'address_not_allowed',
    );
  }
  return unmapped(addresses[0]);
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  pinned: ResolvedAddress,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  // The name stays in the URL (Host header, TLS server name and certificate check); only the lookup is pinned.
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) callback(null, [{ address: pinned.address, family: pinned.family }]);
    else callback(null, pinned.address, pinned.family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, lookup: pinnedLookup, signal }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

async function readCapped(response: IncomingMessage, limit: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > limit) {
      response.destroy();
      throw new RuntimeError('LIMIT_EXCEEDED', `fetch: response larger than ${limit} bytes`, 'response_too_large');
    }
    if (signal.aborted) break;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function flatHeaders(response: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(response.headers)) {
    if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}
