import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { isReservedAddress, PluginRuntime } from '@app/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArtifact, manifestBytes } from '../apps/api/src/registry/artifact.js';
import { type TestApp, useTestApp } from './support/app.js';

type User = Awaited<ReturnType<TestApp['createUser']>>;
type Json = Record<string, unknown>;

const UPLOAD_LIMIT = 64 * 1024;

/** Packages served over loopback http, as an operator's package host would serve them over https. */
const served = new Map<string, Buffer>();
const server = createServer((req, res) => {
  const bytes = served.get(req.url ?? '');
  if (bytes) res.writeHead(200, { 'content-type': 'application/gzip' }).end(bytes);
  else res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
// A listed https origin whose name is this machine's: it resolves to a loopback or private address (checked below).
const privateOrigin = `https://${hostname().toLowerCase()}`;

const t = useTestApp({
  env: {
    PLUGHUB_INSTALL_URL_ALLOWLIST: `${origin},${privateOrigin}`,
    PLUGHUB_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT),
  },
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const runner = (name: string) =>
  `export default { onMessage(m) { return { from: ${JSON.stringify(name)}, got: m.data }; } };\n`;

const manifest = (key: string, version = '1.0.0', extra: Json = {}): Json => ({
  key,
  name: `Plugin ${key}`,
  version,
  description: `Does ${key} things`,
  author: 'Ada Lovelace',
  license: 'MIT',
  permissions: ['log', 'messages:receive'],
  runtime: { type: 'sandbox', entry: 'runner.js' },
  ...extra,
});

/** A package as the registry builds and serves it (GET …/download/), with its integrity. */
async function artifact(m: Json, runnerText: string): Promise<{ bytes: Buffer; integrity: string }> {
  const bytes = await buildArtifact([
    { role: 'manifest', path: 'manifest.json', content: manifestBytes(m) },
    { role: 'runner', path: 'runner.js', content: Buffer.from(runnerText) },
  ]);
  return { bytes, integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` };
}

const install = (user: User, key: string, body: Json, query: Json = {}) =>
  user.client.POST('/api/plugins/{plugin}/install/', {
    params: { path: { plugin: key }, query: query as never },
    body: body as never,
  });
const outcome = (res: Awaited<ReturnType<typeof install>>) => [
  res.response.status,
  res.error?.code,
  res.error?.details?.reason,
];
const ask = (runtimeId: string) => t.app.get(PluginRuntime).message(runtimeId, { type: 'hi', data: 'x' });

let ada: User;
let bob: User;

beforeAll(async () => {
  ada = await t.createUser({ email: 'ada@sources.test', handle: 'ada' });
  bob = await t.createUser({ email: 'bob@sources.test', handle: 'bob' });
});

describe('source upload', () => {
  it('publishes the package as a private version and installs it in one call', async () => {
    const res = await install(ada, 'ada.uploaded', {
      source: 'upload',
      package: { manifest: manifest('ada.uploaded'), files: { runner: runner('uploaded') } },
    });
    expect(res.response.status).toBe(201);
    expect(res.data!.installation).toMatchObject({
      plugin: 'ada.uploaded',
      installed_version: '1.0.0',
      source: 'upload',
      status: 'active',
    });
    expect(await ask(res.data!.installation!.runtime_id)).toEqual({ from: 'uploaded', got: 'x' });
    const mine = await ada.client.GET('/api/plugins/{plugin}/', { params: { path: { plugin: 'ada.uploaded' } } });
    expect(mine.data).toMatchObject({ key: 'ada.uploaded', scope: 'private' });
    const theirs = await bob.client.GET('/api/plugins/{plugin}/', { params: { path: { plugin: 'ada.uploaded' } } });
    expect(theirs.error?.code).toBe('PLUGIN_NOT_FOUND');
  });

  it('gives a manifest without a key (seed 002) the key in the path', async () => {
    const keyless = manifest('ada.keyless');
    delete keyless.key;
    const res = await install(ada, 'ada.keyless', {
      source: 'upload',
      package: { manifest: { ...keyless, name: 'Keyless' }, files: { runner: runner('keyless') } },
    });
    expect([res.response.status, res.data?.installation?.plugin]).toEqual([201, 'ada.keyless']);
  });

  it.each([
    ['without a package', { source: 'upload' }, [400, 'VALIDATION_ERROR', 'source_fields']],
    ['with a url', { source: 'upload', url: `${origin}/x.tgz` }, [400, 'VALIDATION_ERROR', 'source_fields']],
    ['as a dry run', { dry_run: true }, [400, 'VALIDATION_ERROR', 'dry_run_store_only']],
    ['of another plugin', { manifest: manifest('ada.other') }, [400, 'VALIDATION_ERROR', 'key_mismatch']],
    ['under a publisher not yours', { key: 'bob.mine' }, [403, 'FORBIDDEN', 'publisher_not_yours']],
    ['larger than the upload limit', { big: true }, [422, 'LIMIT_EXCEEDED', 'package_too_large']],
  ] as const)('is refused %s', async (_name, variant, expected) => {
    const key = 'key' in variant ? variant.key : 'ada.refused';
    const pkg = {
      manifest: 'manifest' in variant ? variant.manifest : manifest(key),
      files: { runner: 'big' in variant ? `// ${'x'.repeat(UPLOAD_LIMIT)}\n${runner('big')}` : runner('refused') },
    };
    const body: Json =
      'source' in variant ? variant : { source: 'upload', package: pkg, ...('dry_run' in variant ? variant : {}) };
    expect(outcome(await install(ada, key, body))).toEqual(expected);
  });

  it('refuses a version published before (versions are immutable), and changed nothing', async () => {
    const res = await install(ada, 'ada.uploaded', {
      source: 'upload',
      force_reinstall: true,
      package: { manifest: manifest('ada.uploaded'), files: { runner: runner('changed') } },
    });
    expect(outcome(res)).toEqual([409, 'CONFLICT', 'version_reused']);
    const refused = await ada.client.GET('/api/plugins/{plugin}/', { params: { path: { plugin: 'ada.refused' } } });
    expect(refused.error?.code).toBe('PLUGIN_NOT_FOUND');
  });
});

describe('source url', () => {
  it('fetches the package from a listed origin, checks its integrity and installs it', async () => {
    const pkg = await artifact(manifest('ada.fetched'), runner('fetched'));
    served.set('/ada.fetched-1.0.0.tgz', pkg.bytes);
    const res = await install(ada, 'ada.fetched', {
      source: 'url',
      url: `${origin}/ada.fetched-1.0.0.tgz`,
      integrity: pkg.integrity,
    });
    expect(res.response.status).toBe(201);
    expect(res.data!.installation).toMatchObject({ plugin: 'ada.fetched', source: 'url', status: 'active' });
    expect(await ask(res.data!.installation!.runtime_id)).toEqual({ from: 'fetched', got: 'x' });
  });

  it('refuses the host of a name that resolves to a loopback or private address', async () => {
    const addresses = await lookup(hostname(), { all: true });
    expect(
      addresses.length > 0 &&
        addresses.every((a) => isReservedAddress({ address: a.address, family: a.family === 6 ? 6 : 4 })),
    ).toBe(true);
    const res = await install(ada, 'ada.fetched2', {
      source: 'url',
      url: `${privateOrigin}/ada.fetched2.tgz`,
      integrity: (await artifact(manifest('ada.fetched2'), runner('x'))).integrity,
    });
    expect(outcome(res)).toEqual([400, 'VALIDATION_ERROR', 'address_not_allowed']);
  });

  it.each([
    ['an origin not listed', 'https://plugins.example.com/a.tgz', 'good', [400, 'VALIDATION_ERROR', 'url_not_allowed']],
    ['plain http elsewhere', 'http://plugins.example.com/a.tgz', 'good', [400, 'VALIDATION_ERROR', 'url_not_https']],
    ['a missing file', '/missing.tgz', 'good', [400, 'VALIDATION_ERROR', 'url_fetch_failed']],
    ['bytes that do not match', '/ada.tampered.tgz', 'other', [400, 'VALIDATION_ERROR', 'integrity_mismatch']],
    ['what is not a package', '/ada.text.tgz', 'text', [400, 'VALIDATION_ERROR', 'package_invalid']],
    ['a package over the limit', '/ada.huge.tgz', 'huge', [422, 'LIMIT_EXCEEDED', 'package_too_large']],
    ['without integrity', '/ada.tampered.tgz', 'none', [400, 'VALIDATION_ERROR', 'source_fields']],
    ['with a malformed integrity', '/ada.tampered.tgz', 'md5', [400, 'VALIDATION_ERROR', undefined]],
  ] as const)('refuses %s', async (_name, where, integrityOf, expected) => {
    const good = await artifact(manifest('ada.remote'), runner('remote'));
    served.set('/ada.tampered.tgz', (await artifact(manifest('ada.remote'), runner('tampered'))).bytes);
    served.set('/ada.text.tgz', Buffer.from('not a tarball'));
    served.set('/ada.huge.tgz', Buffer.alloc(UPLOAD_LIMIT + 1));
    const bytesOf: Record<string, Buffer> = {
      text: Buffer.from('not a tarball'),
      huge: Buffer.alloc(UPLOAD_LIMIT + 1),
    };
    const integrity =
      integrityOf === 'good' || integrityOf === 'other'
        ? good.integrity
        : integrityOf === 'md5'
          ? 'md5-abc'
          : integrityOf === 'none'
            ? undefined
            : `sha512-${createHash('sha512').update(bytesOf[integrityOf]).digest('base64')}`;
    const res = await install(ada, 'ada.remote', {
      source: 'url',
      url: where.startsWith('/') ? `${origin}${where}` : where,
      ...(integrity !== undefined ? { integrity } : {}),
    });
    expect(outcome(res)).toEqual(expected);
    if (integrityOf === 'md5') expect(res.error!.errors.map((e) => e.field)).toEqual(['integrity']);
  });

  it('left nothing published or installed after the refusals', async () => {
    const res = await ada.client.GET('/api/plugins/{plugin}/', { params: { path: { plugin: 'ada.remote' } } });
    expect(res.error?.code).toBe('PLUGIN_NOT_FOUND');
    const listed = await ada.client.GET('/api/installations/');
    expect(listed.data!.results.map((i) => [i.plugin, i.source]).sort()).toEqual([
      ['ada.fetched', 'url'],
      ['ada.keyless', 'upload'],
      ['ada.uploaded', 'upload'],
    ]);
  });
});
