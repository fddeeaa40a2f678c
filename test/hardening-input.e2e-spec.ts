/**
 * Hardening of the input layer (issue 9): null is not "absent", hostile bodies are refused cheaply,
 * and every error, the framework's own included, is the envelope with the right status.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import type { Schemas } from '@app/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type TestApp, useTestApp } from './support/app.js';
import { rawFingerprint } from './support/raw-db.js';
import { checkResponse } from './support/spec.js';

type Client = ReturnType<TestApp['client']>;
type Json = Record<string, unknown>;
interface Envelope {
  code: string;
  status: number;
  errors: Array<{ field: string; message: string }>;
  details: Json;
  request_id: string;
}

const t = useTestApp();
let admin: Client;
let adminId: string;
let token: string;

// Typed as the contract's manifest: the extras are the hostile parts under test.
const manifest = (key: string, extra: Json = {}): Schemas['PluginManifest'] => ({
  key,
  name: `Plugin ${key}`,
  version: '1.0.0',
  description: 'Hardening fixture',
  runtime: { type: 'sandbox', entry: 'runner.js' },
  ...extra,
});
const RUNNER = 'export default { onMessage(m) { return m.data; } };\n';

/**
 * A request the typed client cannot express (a method or content type the contract does not
 * have). Its answer is checked against the contract as `documentedAs` (an operation of the same
 * path that documents the status), so the envelope is still held to the Error schema.
 */
async function raw(
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string>; auth?: boolean; documentedAs?: [string, string] } = {},
) {
  const headers = { ...(init.auth === false ? {} : { authorization: `Bearer ${token}` }), ...init.headers };
  const response = await fetch(`${t.baseUrl}${path}`, { method, body: init.body, headers });
  const text = await response.text();
  const body = (text ? JSON.parse(text) : undefined) as Envelope;
  if (init.documentedAs) {
    const [docMethod, docPath] = init.documentedAs;
    expect(checkResponse(docMethod, docPath, response.status, body)).toEqual([]);
  }
  if (response.status >= 400) {
    expect(body.status).toBe(response.status);
    expect(body.request_id).toBe(response.headers.get('x-request-id'));
  }
  return { response, body, size: text.length };
}

beforeAll(async () => {
  token = await t.login(ADMIN.email, ADMIN.password);
  admin = t.client({ accessToken: token });
  adminId = (await admin.GET('/api/auth/me/')).data!.id;
});

describe('null is not "absent"', () => {
  it('null password, name or tags answer 400 and change nothing', async () => {
    const user = await t.createUser({ email: 'nulls@plughub.test', name: 'Nulls' });
    const before = await rawFingerprint(t.app);
    for (const body of [{ password: null }, { name: null }, { name: 'ok', password: null }]) {
      const res = await user.client.PATCH('/api/users/{id}/', {
        params: { path: { id: user.id } },
        body: body as never,
      });
      expect(res.response.status).toBe(400);
      expect(res.error!.code).toBe('VALIDATION_ERROR');
      expect(res.error!.errors.map((e) => e.field)).toEqual(
        ['password', 'name'].filter((f) => (body as Json)[f] === null),
      );
    }
    expect(await rawFingerprint(t.app)).toBe(before);
    expect((await user.client.GET('/api/users/{id}/', { params: { path: { id: user.id } } })).data!.name).toBe('Nulls');
    await t.login('nulls@plughub.test', 'user-password-1');
  });

  it('a plugin listing takes null only where the contract says nullable', async () => {
    const key = 'admin.nullable';
    expect(
      (await admin.POST('/api/plugins/', { body: { manifest: manifest(key), files: { runner: RUNNER } } })).response
        .status,
    ).toBe(201);
    const p = { params: { path: { plugin: key } } };
    const tags = await admin.PATCH('/api/plugins/{plugin}/', { ...p, body: { tags: null } as never });
    expect(tags.response.status).toBe(400);
    expect(tags.error!.errors.map((e) => e.field)).toEqual(['tags']);
    const name = await admin.PATCH('/api/plugins/{plugin}/', { ...p, body: { name: null } as never });
    expect(name.response.status).toBe(400);
    const nullable = await admin.PATCH('/api/plugins/{plugin}/', { ...p, body: { category: null, homepage: null } });
    expect(nullable.response.status).toBe(200);
    expect(nullable.data).toMatchObject({ category: null, homepage: null });
    const version = { params: { path: { plugin: key, version: '1.0.0' } } };
    const undeprecated = await admin.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...version,
      body: { deprecated: null },
    });
    expect(undeprecated.response.status).toBe(200);
    const yanked = await admin.PATCH('/api/plugins/{plugin}/versions/{version}/', {
      ...version,
      body: { yanked: null } as never,
    });
    expect(yanked.response.status).toBe(400);
  });

  it('a null file in a publish answers 400 with its path and stores nothing', async () => {
    const before = await rawFingerprint(t.app);
    for (const files of [{ runner: null }, { runner: RUNNER, icon: null }, null]) {
      const res = await admin.POST('/api/plugins/', { body: { manifest: manifest('admin.nullfile'), files } as never });
      expect(res.response.status).toBe(400);
      expect(res.error!.code).toBe('VALIDATION_ERROR');
      const nulled = files ? Object.keys(files).filter((k) => (files as Json)[k] === null) : [];
      expect(res.error!.errors.map((e) => e.field)).toEqual(files ? nulled.map((k) => `files.${k}`) : ['files']);
    }
    expect(await rawFingerprint(t.app)).toBe(before);
  });

  it('a body must be a JSON object', async () => {
    for (const body of ['null', '[]', '[{"slug":"a","name":"b"}]', '"text"', '42', 'true']) {
      const res = await raw('POST', '/api/orgs/', {
        body,
        headers: { 'content-type': 'application/json' },
        documentedAs: ['post', '/api/orgs/'],
      });
      expect(res.response.status).toBe(400);
      expect(res.body.details.reason).toBe('body_not_object');
    }
  });

  it('a missing required field is reported once per field, the same way for each', async () => {
    const res = await admin.POST('/api/users/', { body: {} as never });
    expect(res.error!.code).toBe('VALIDATION_ERROR');
    const fields = res.error!.errors.map((e) => e.field).sort();
    expect(fields).toEqual(['email', 'name', 'password']);
    expect(new Set(res.error!.errors.map((e) => e.message)).size).toBe(1);
    const publish = await admin.POST('/api/plugins/', { body: { manifest: manifest('admin.nofiles') } as never });
    expect(publish.error!.errors.map((e) => e.field)).toEqual(['files']);
  });
});

describe('hostile bodies are refused before anything walks them', () => {
  /** Largest event-loop stall (ms) while `work` runs; the app serves from this process. */
  async function longestStall(work: () => Promise<void>): Promise<number> {
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    histogram.enable();
    await work();
    histogram.disable();
    return histogram.max / 1e6;
  }

  it('3,000-level nesting, on the unauthenticated token endpoint too, is 400 body_too_deep', async () => {
    for (const body of ['['.repeat(3000) + ']'.repeat(3000), '{"email":'.repeat(3000) + '1' + '}'.repeat(3000)]) {
      const res = await raw('POST', '/api/auth/token/', {
        body,
        auth: false,
        headers: { 'content-type': 'application/json' },
        documentedAs: ['post', '/api/auth/token/'],
      });
      expect(res.response.status).toBe(400);
      expect(res.body.details).toMatchObject({ reason: 'body_too_deep', limit: 32 });
    }
  });

  it('key floods answer quickly with a bounded error list', async () => {
    const keys = (n: number) => `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
    const cases: Array<[number, string | undefined]> = [
      [100_000, 'body_too_large'], // 1 MB, far over the 64 KiB of a body that is not an upload
      [5_000, 'too_many_keys'],
      [300, undefined], // within every limit: each unknown key is a field error, listed up to 100
    ];
    const stall = await longestStall(async () => {
      for (const [n, reason] of cases) {
        const res = await raw('POST', '/api/auth/token/', {
          body: keys(n),
          auth: false,
          headers: { 'content-type': 'application/json' },
          documentedAs: ['post', '/api/auth/token/'],
        });
        expect(res.response.status).toBe(400);
        expect(res.body.code).toBe('VALIDATION_ERROR');
        expect(res.body.details.reason).toBe(reason);
        expect(res.body.errors.length).toBeLessThanOrEqual(100);
        expect(res.size).toBeLessThan(16 * 1024);
        if (!reason) expect(res.body.details.omitted_errors).toBe(200);
      }
    });
    // Generous on a shared machine: today this takes seconds (class-transformer is quadratic in keys).
    expect(stall).toBeLessThan(1000);
  });

  it('a 4 MB nested upload body is refused without stalling the server', async () => {
    const depth = 1_000_000;
    const body = `{"manifest":${'['.repeat(depth)}${']'.repeat(depth)},"files":{}}`;
    const stall = await longestStall(async () => {
      const res = await raw('POST', '/api/plugins/', {
        body: body + ' '.repeat(4 * 1024 * 1024 - body.length),
        headers: { 'content-type': 'application/json' },
        documentedAs: ['post', '/api/plugins/'],
      });
      expect(res.response.status).toBe(400);
      expect(res.body.details.reason).toBe('body_too_deep');
    });
    expect(stall).toBeLessThan(1000);
  });

  it('bodies over 64 KiB are refused except for uploads, which answer LIMIT_EXCEEDED past their own limit', async () => {
    const big = 'x'.repeat(70 * 1024);
    const org = await admin.POST('/api/orgs/', { body: { slug: 'big-org', name: 'Big', description: big } });
    expect(org.response.status).toBe(400);
    expect(org.error!.details.reason).toBe('body_too_large');
    const publish = await admin.POST('/api/plugins/', {
      body: { manifest: manifest('admin.bigreadme'), files: { runner: RUNNER, readme: 'x'.repeat(1024 * 1024) } },
    });
    expect(publish.response.status).toBe(201);
  });

  it('a NUL byte in search matches literally in users, orgs and the catalog', async () => {
    await t.createUser({ email: 'nul@plughub.test', name: 'nu\u0000ll' });
    const users = await admin.GET('/api/users/', { params: { query: { search: 'u\u0000l' } } });
    expect(users.response.status).toBe(200);
    expect(users.data!.results.map((u) => u.email)).toEqual(['nul@plughub.test']);
    const orgs = await admin.GET('/api/orgs/', { params: { query: { search: 'a\u0000b' } } });
    expect([orgs.response.status, orgs.data!.count]).toEqual([200, 0]);
    const plugins = await admin.GET('/api/plugins/', { params: { query: { search: 'a\u0000b' } } });
    expect([plugins.response.status, plugins.data!.count]).toEqual([200, 0]);
  });

  it('a key holding NUL, which the database cannot store, is refused wherever it sits', async () => {
    const before = await rawFingerprint(t.app);
    const res = await admin.POST('/api/plugins/', {
      body: {
        manifest: manifest('admin.nulkey', { settings: { cfg: { type: 'json', default: { 'a\u0000b': 1 } } } }),
        files: { runner: RUNNER },
      },
    });
    expect(res.response.status).toBe(400);
    expect(res.error!.details.reason).toBe('forbidden_key');
    expect(await rawFingerprint(t.app)).toBe(before);
  });

  it('a manifest path the packager cannot write is refused; every path the schema allows is packaged', async () => {
    const long = await admin.POST('/api/plugins/', {
      body: {
        manifest: manifest('admin.longentry', { runtime: { type: 'sandbox', entry: `${'r'.repeat(147)}.js` } }),
        files: { runner: RUNNER },
      },
    });
    expect(long.response.status).toBe(400);
    expect(long.error!.errors.map((e) => e.field)).toEqual(['manifest.runtime.entry']);

    // Directories up to 147 characters and a file name up to 100, or one name up to 92.
    const segment = fc
      .tuple(fc.integer({ min: 1, max: 100 }), fc.constantFrom('a', 'Z', '0', '_', '-'))
      .map(([n, c]) => c.repeat(n));
    const entry = fc
      .tuple(fc.array(segment, { maxLength: 3 }), segment)
      .map(([dirs, file]) => [...dirs, file].join('/'))
      .filter((p) => p.length <= 92 || (p.lastIndexOf('/') > 0 && p.lastIndexOf('/') <= 147 && p.length <= 200));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(entry, async (path) => {
        const key = `admin.path-${n++}`;
        const res = await admin.POST('/api/plugins/', {
          body: { manifest: manifest(key, { runtime: { type: 'sandbox', entry: path } }), files: { runner: RUNNER } },
        });
        expect(res.response.status, path).toBe(201);
        const dl = await admin.GET('/api/plugins/{plugin}/versions/{version}/download/', {
          params: { path: { plugin: key, version: '1.0.0' } },
          parseAs: 'arrayBuffer',
        });
        expect(tarEntries(Buffer.from(dl.data as unknown as ArrayBuffer)).get(`package/${path}`)).toBe(RUNNER);
      }),
      { numRuns: 12 },
    );
  });
});

/** Reads a gzip'd ustar archive by the ustar layout (name at 0, size at 124, prefix at 345). */
function tarEntries(gz: Buffer): Map<string, string> {
  const tar = gunzipSync(gz);
  const out = new Map<string, string>();
  const text = (from: number, length: number) => tar.toString('utf8', from, from + length).replace(/\0[\s\S]*$/, '');
  for (let at = 0; at + 512 <= tar.length && tar[at] !== 0;) {
    const size = parseInt(text(at + 124, 12), 8);
    const prefix = text(at + 345, 155);
    const name = text(at, 100);
    out.set(prefix ? `${prefix}/${name}` : name, tar.toString('utf8', at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('every error in the envelope, with the right status', () => {
  it('a path parameter over 100 characters is 414 URI_TOO_LONG', async () => {
    const res = await admin.GET('/api/users/{id}/', { params: { path: { id: 'x'.repeat(150) } } });
    expect(res.response.status).toBe(414);
    expect(res.error!.code).toBe('URI_TOO_LONG');
    expect(res.error!.request_id).toBe(res.response.headers.get('x-request-id'));
  });

  it('a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE and stores nothing', async () => {
    const before = await rawFingerprint(t.app);
    for (const [type, body] of [
      ['text/plain', '{"slug":"plain","name":"Plain"}'],
      ['application/x-www-form-urlencoded', 'slug=form&name=Form'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="slug"\r\n\r\nm\r\n--x--'],
      ['application/xml', '<org/>'],
    ]) {
      const res = await raw('POST', '/api/orgs/', {
        body,
        headers: { 'content-type': type },
        documentedAs: ['post', '/api/orgs/'],
      });
      expect([res.response.status, res.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    // JSON that cannot be read as sent: another charset, or a content coding the server does not undo.
    for (const [headers, reason] of [
      [{ 'content-type': 'application/json; charset=utf-16' }, 'charset'],
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'content_encoding'],
    ] as const) {
      const res = await raw('POST', '/api/orgs/', {
        body: '{"slug":"coded","name":"Coded"}',
        headers,
        documentedAs: ['post', '/api/orgs/'],
      });
      expect([res.response.status, res.body.code, res.body.details.reason]).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        reason,
      ]);
    }
    expect(await rawFingerprint(t.app)).toBe(before);
    // JSON by any of its names is JSON.
    const merge = await raw('PATCH', `/api/users/${adminId}/`, {
      body: '{"name":"Admin"}',
      headers: { 'content-type': 'application/merge-patch+json' },
      documentedAs: ['patch', '/api/users/{id}/'],
    });
    expect(merge.response.status).toBe(200);
    const withCharset = await raw('PATCH', `/api/users/${adminId}/`, {
      body: '{"name":"Admin"}',
      headers: { 'content-type': 'application/merge-patch+json; charset=UTF-8' },
      documentedAs: ['patch', '/api/users/{id}/'],
    });
    expect(withCharset.response.status).toBe(200);
  });

  it('a method the path lacks is 405 METHOD_NOT_ALLOWED with Allow; an unknown path stays 404', async () => {
    const cases: Array<[string, string, string[], [string, string]]> = [
      ['DELETE', '/api/users/', ['GET', 'HEAD', 'POST'], ['get', '/api/users/']],
      ['PUT', '/api/users/abc/', ['GET', 'HEAD', 'PATCH'], ['get', '/api/users/{id}/']],
      ['POST', '/api/health/', ['GET', 'HEAD'], ['get', '/api/health/']],
      ['PUT', '/api/plugins/a.b/', ['DELETE', 'GET', 'HEAD', 'PATCH'], ['get', '/api/plugins/{plugin}/']],
    ];
    for (const [method, path, allow, documentedAs] of cases) {
      const res = await raw(method, path, {
        body: method === 'DELETE' ? undefined : '{}',
        headers: { 'content-type': 'application/json' },
        documentedAs,
      });
      expect([res.response.status, res.body.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
      expect(res.response.headers.get('allow')).toBe(allow.join(', '));
      expect(res.body.details.allow).toEqual(allow);
    }
    const missing = await raw('DELETE', '/api/nothing-here/');
    expect([missing.response.status, missing.body.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('401 answers carry WWW-Authenticate', async () => {
    const anonymous = await t.client().GET('/api/auth/me/');
    const wrong = await t
      .client()
      .POST('/api/auth/token/', { body: { email: ADMIN.email, password: 'not-it-at-all' } });
    for (const res of [anonymous, wrong]) {
      expect([res.response.status, res.error!.code]).toEqual([401, 'UNAUTHENTICATED']);
      expect(res.response.headers.get('www-authenticate')).toMatch(/^Bearer realm="plughub"/);
    }
  });

  it('a malformed URL and over-long headers answer in the envelope too', async () => {
    const badUrl = await raw('GET', '/api/users/%E0%A4%A/', { documentedAs: ['get', '/api/users/{id}/'] });
    expect([badUrl.response.status, badUrl.body.details.reason]).toEqual([400, 'malformed_url']);
    const longQuery = await raw('GET', `/api/users/?search=${'q'.repeat(20_000)}`, {
      documentedAs: ['get', '/api/users/'],
    });
    expect([longQuery.response.status, longQuery.body.details.reason]).toEqual([400, 'headers_too_large']);
  });
});

// Last: on a server without the null rule this locks the file's only admin out.
describe('the only admin', () => {
  it('cannot lock the instance out with null roles or is_active', async () => {
    for (const body of [{ is_active: null }, { roles: null }]) {
      const res = await admin.PATCH('/api/users/{id}/', { params: { path: { id: adminId } }, body: body as never });
      expect(res.response.status).toBe(400);
      expect(res.error!.code).toBe('VALIDATION_ERROR');
      expect(res.error!.errors.map((e) => e.field)).toEqual(Object.keys(body));
    }
    const me = await t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) }).GET('/api/auth/me/');
    expect(me.data).toMatchObject({ roles: ['admin'], is_active: true });
  });
});
