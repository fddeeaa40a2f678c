import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkIntegrity, fetchPackage, type PackageFetchPolicy, parseAllowed } from './package-fetch.js';

const body = Buffer.from('a package, byte for byte');
const sri = (bytes: Buffer, algorithm = 'sha512') =>
  `${algorithm}-${createHash(algorithm).update(bytes).digest('base64')}`;

let server: Server;
let origin: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/ok.tgz') res.end(body);
    else if (req.url === '/moved.tgz') res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
    else if (req.url === '/big.tgz') res.writeHead(200, { 'content-length': '4096' }).end(Buffer.alloc(4096));
    else if (req.url === '/chunked.tgz') {
      res.write(Buffer.alloc(600));
      res.end(Buffer.alloc(600));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const policy = (overrides: Partial<PackageFetchPolicy> = {}): PackageFetchPolicy => ({
  allowlist: [origin],
  maxBytes: 1024,
  timeoutMs: 10_000,
  resolve: vi.fn<PackageFetchPolicy['resolve']>().mockRejectedValue(new Error('no lookup expected')),
  ...overrides,
});

const reasonOf = async (p: Promise<unknown>) =>
  p.then(
    () => 'resolved',
    (e: { code?: string; details?: { reason?: string } }) => `${e.code} ${e.details?.reason}`,
  );

describe('fetchPackage', () => {
  it('answers the bytes from a listed loopback http origin when they match the integrity', async () => {
    await expect(fetchPackage(`${origin}/ok.tgz`, sri(body), policy())).resolves.toEqual(body);
    await expect(fetchPackage(`${origin}/ok.tgz`, sri(body, 'sha256'), policy())).resolves.toEqual(body);
  });

  it('refuses bytes that do not match the integrity', async () => {
    expect(await reasonOf(fetchPackage(`${origin}/ok.tgz`, sri(Buffer.from('other')), policy()))).toBe(
      'VALIDATION_ERROR integrity_mismatch',
    );
  });

  it('follows no redirect and takes no error page', async () => {
    expect(await reasonOf(fetchPackage(`${origin}/moved.tgz`, sri(body), policy()))).toBe(
      'VALIDATION_ERROR url_fetch_failed',
    );
    expect(await reasonOf(fetchPackage(`${origin}/missing.tgz`, sri(body), policy()))).toBe(
      'VALIDATION_ERROR url_fetch_failed',
    );
  });

  it('stops at the size limit, whether the length is declared or not', async () => {
    expect(await reasonOf(fetchPackage(`${origin}/big.tgz`, sri(body), policy()))).toBe(
      'LIMIT_EXCEEDED package_too_large',
    );
    expect(await reasonOf(fetchPackage(`${origin}/chunked.tgz`, sri(body), policy()))).toBe(
      'LIMIT_EXCEEDED package_too_large',
    );
  });

  it('never connects to a name that resolves to a private address, checking every address', async () => {
    const before = requests;
    const resolve = vi.fn<PackageFetchPolicy['resolve']>().mockResolvedValue([
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);
    const res = fetchPackage('https://plugins.example.com/a.tgz', sri(body), {
      ...policy({ resolve }),
      allowlist: ['https://plugins.example.com'],
    });
    expect(await reasonOf(res)).toBe('VALIDATION_ERROR address_not_allowed');
    expect(resolve).toHaveBeenCalledWith('plugins.example.com');
    expect(requests).toBe(before);
  });

  it('answers url_fetch_failed when the name does not resolve', async () => {
    const resolve = vi
      .fn<PackageFetchPolicy['resolve']>()
      .mockRejectedValue(Object.assign(new Error('x'), { code: 'ENOTFOUND' }));
    const res = fetchPackage('https://nowhere.example.com/a.tgz', sri(body), {
      ...policy({ resolve }),
      allowlist: ['https://nowhere.example.com'],
    });
    expect(await reasonOf(res)).toBe('VALIDATION_ERROR url_fetch_failed');
  });
});

describe('parseAllowed', () => {
  const allowlist = ['https://plugins.example.com', 'http://plugins.example.org', 'http://127.0.0.1:8080'];

  it.each([
    ['https://plugins.example.com/a/b.tgz?token=x', 'resolved'],
    ['http://127.0.0.1:8080/a.tgz', 'resolved'],
    ['https://plugins.example.com:8443/a.tgz', 'VALIDATION_ERROR url_not_allowed'],
    ['https://evil.example.com/a.tgz', 'VALIDATION_ERROR url_not_allowed'],
    ['https://user:pw@plugins.example.com/a.tgz', 'VALIDATION_ERROR url_not_allowed'],
    ['http://plugins.example.com/a.tgz', 'VALIDATION_ERROR url_not_https'],
    ['http://plugins.example.org/a.tgz', 'VALIDATION_ERROR url_not_https'],
    ['http://127.0.0.1:9090/a.tgz', 'VALIDATION_ERROR url_not_allowed'],
    ['file:///etc/passwd', 'VALIDATION_ERROR url_not_allowed'],
    ['not a url', 'VALIDATION_ERROR url_not_allowed'],
  ])('%s → %s', async (url, expected) => {
    expect(await reasonOf(Promise.resolve().then(() => parseAllowed(url, allowlist)))).toBe(expected);
  });

  it('never names more than the origin in an error (a path or query may hold a token)', () => {
    let error: unknown;
    try {
      parseAllowed('https://evil.example.com/p?token=s3cret', allowlist);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ details: { reason: 'url_not_allowed', origin: 'https://evil.example.com' } });
    expect(JSON.stringify(error) + String(error)).not.toContain('s3cret');
  });
});

describe('checkIntegrity', () => {
  it('accepts each of sha256, sha384 and sha512', () => {
    for (const algorithm of ['sha256', 'sha384', 'sha512'])
      expect(() => checkIntegrity(body, sri(body, algorithm))).not.toThrow();
  });
});
