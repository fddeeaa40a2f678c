import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { validate as validateOas30 } from '@hyperjump/json-schema/openapi-3-0';
import { MANIFEST_SCHEMA } from '@app/plugin-sdk';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, useTestApp } from './support/app.js';
import { operations, spec } from './support/spec.js';

/**
 * The contract tells the truth to validators that are not ours: hyperjump's OpenAPI 3.0 dialect (the 3.0.3
 * semantics of `nullable`, which only adds null to the `type` beside it) and Redocly's linter with the rules in
 * redocly.yaml. And it tells the truth about the server: request bodies it documents as closed are refused with an
 * unknown field, and every request example is one the server's validation accepts.
 */

type Json = Record<string, unknown>;
const SPEC_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url));
const SPEC_URI = pathToFileURL(SPEC_FILE).href;
const ptr = (...parts: string[]) =>
  parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** Validates `value` against the schema at `pointer` (a JSON Pointer into openapi.json), with OAS 3.0 semantics. */
async function oas30(pointer: string, value: unknown): Promise<boolean> {
  const output = await validateOas30(`${SPEC_URI}#${pointer}`, value as never);
  return output.valid;
}

interface Example {
  where: string;
  schema: string;
  value: unknown;
}

/** Every example in the document with the pointer of the schema it illustrates. */
function examples(): Example[] {
  const out: Example[] = [];
  const media = (base: string, content: Record<string, Json> | undefined) => {
    for (const [type, m] of Object.entries(content ?? {})) {
      const schema = `${base}/content/${ptr(type)}/schema`;
      if ('example' in m) out.push({ where: `${base}/content/${type}/example`, schema, value: m.example });
      for (const [name, ex] of Object.entries((m.examples as Record<string, Json> | undefined) ?? {})) {
        out.push({ where: `${base}/content/${type}/examples/${name}`, schema, value: ex.value });
      }
    }
  };
  const schemas = (node: unknown, at: string) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach((n, i) => schemas(n, `${at}/${i}`));
    const obj = node as Json;
    if ('example' in obj && !at.endsWith('/properties'))
      out.push({ where: `${at}/example`, schema: at, value: obj.example });
    for (const [k, v] of Object.entries(obj)) if (k !== 'example' && k !== 'examples') schemas(v, `${at}/${ptr(k)}`);
  };
  schemas(spec.components.schemas, '/components/schemas');
  for (const [name, r] of Object.entries(spec.components.responses)) {
    media(`/components/responses/${ptr(name)}`, r.content);
  }
  for (const { method, path, op } of operations()) {
    const base = `/paths/${ptr(path)}/${method}`;
    media(`${base}/requestBody`, (op.requestBody as { content?: Record<string, Json> } | undefined)?.content);
    (op.parameters as Json[] | undefined)?.forEach((p, i) => schemas(p.schema, `${base}/parameters/${i}/schema`));
  }
  return out;
}

describe('the document, checked by validators that are not ours', () => {
  it('is a valid OpenAPI 3.0 document (the official 3.0 schema, through hyperjump)', async () => {
    const output = await validateOas30('https://spec.openapis.org/oas/3.0/schema', spec as never);
    expect(output.valid).toBe(true);
  });

  it('passes Redocly lint with the stricter rules of redocly.yaml (examples, enums, required properties)', () => {
    const run = spawnSync('npx', ['redocly', 'lint', SPEC_FILE, '--format=json'], { encoding: 'utf8' });
    const report = JSON.parse(run.stdout.slice(run.stdout.indexOf('{'))) as {
      problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
    };
    expect(report.problems.map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(run.status).toBe(0);
  }, 60_000);

  it('has examples, and every one of them validates against its own schema', async () => {
    const all = examples();
    expect(all.length).toBeGreaterThan(20);
    const invalid: string[] = [];
    for (const ex of all) if (!(await oas30(ex.schema, ex.value))) invalid.push(ex.where);
    expect(invalid).toEqual([]);
  }, 180_000);

  it('accepts null for every property it documents as nullable, and only for those', async () => {
    const wrong: string[] = [];
    for (const [name, schema] of Object.entries(spec.components.schemas as Record<string, Json>)) {
      for (const [prop, sub] of Object.entries((schema.properties as Record<string, Json> | undefined) ?? {})) {
        const says = sub.nullable === true || JSON.stringify([sub.anyOf, sub.oneOf]).includes('"nullable":true');
        const accepts = await oas30(`/components/schemas/${ptr(name, 'properties', prop)}`, null);
        if (says !== accepts) wrong.push(`${name}.${prop}: documented ${says}, validator ${accepts}`);
      }
    }
    expect(wrong).toEqual([]);
  }, 600_000);

  it('accepts null where the server answers null: PluginDetail.installation and Org.my_role of an admin', async () => {
    expect(await oas30('/components/schemas/PluginDetail/properties/installation', null)).toBe(true);
    expect(await oas30('/components/schemas/Org/properties/my_role', null)).toBe(true);
  });

  it('closes every request body component to unknown fields (additionalProperties: false)', () => {
    const open: string[] = [];
    const seen = new Set<string>();
    const visit = (node: unknown) => {
      if (!node || typeof node !== 'object') return;
      const obj = node as Json;
      if (typeof obj.$ref === 'string') {
        const name = obj.$ref.split('/').pop()!;
        if (seen.has(name) || name === 'PluginManifest') return;
        seen.add(name);
        const target = (spec.components.schemas as Record<string, Json>)[name];
        if (target.properties && target.additionalProperties !== false) open.push(name);
        visit(target);
        return;
      }
      for (const v of Object.values(obj)) visit(v);
    };
    for (const { op } of operations()) visit(op.requestBody);
    expect(seen.size).toBeGreaterThan(10);
    expect(open).toEqual([]);
  });

  it('documents the token endpoint with both a JSON body and HTTP Basic', () => {
    const op = spec.paths['/api/auth/token/'].post!;
    expect(op.security).toEqual([{ basicAuth: [] }, {}]);
    const body = op.requestBody as { required: boolean; content: Record<string, { examples: Record<string, Json> }> };
    expect(body.required).toBe(false);
    const named = Object.values(body.content['application/json'].examples).map((e) => e.value);
    expect(named).toContainEqual({});
    expect(named.some((v) => typeof (v as Json).email === 'string')).toBe(true);
  });

  it('gives every error response an example per catalogue code, with that code and the response status', () => {
    const wrong: string[] = [];
    for (const [name, r] of Object.entries(spec.components.responses)) {
      const status = Object.values(spec.paths)
        .flatMap((item) => Object.values(item))
        .flatMap((op) => Object.entries(op?.responses ?? {}))
        .find(([, ref]) => ref.$ref === `#/components/responses/${name}`)?.[0];
      const named = (r.content?.['application/json'] as { examples?: Record<string, { value: Json }> }).examples;
      if (!named || !Object.keys(named).length) wrong.push(`${name}: no examples`);
      for (const [code, ex] of Object.entries(named ?? {})) {
        if (ex.value.code !== code || String(ex.value.status) !== status) wrong.push(`${name}/${code}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('the PluginManifest component is the plugin-sdk schema, translated once', () => {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, allowUnionTypes: true });
  const sdk = ajv.compile(MANIFEST_SCHEMA);
  const samples = readdirSync(new URL('../plugins/', import.meta.url), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map(
      (d) => JSON.parse(readFileSync(new URL(`../plugins/${d.name}/manifest.json`, import.meta.url), 'utf8')) as Json,
    );
  let documented: (value: unknown) => boolean;

  beforeAll(async () => {
    const output = await validateOas30(`${SPEC_URI}#/components/schemas/PluginManifest`);
    documented = (value) => output(value as never).valid;
  });

  it('requires what the sdk requires and refuses unknown fields', () => {
    const schema = (spec.components.schemas as Record<string, Json>).PluginManifest;
    expect(schema.required).toEqual(MANIFEST_SCHEMA.required);
    expect(schema.additionalProperties).toBe(false);
    for (const m of samples) expect(documented(m)).toBe(true);
  });

  it('gives the same verdict as the sdk schema on mutated manifests', () => {
    const paths = (v: unknown, at: string[] = []): string[][] =>
      v && typeof v === 'object' ? [at, ...Object.entries(v).flatMap(([k, sub]) => paths(sub, [...at, k]))] : [at];
    const mutate = (m: Json, path: string[], how: 'delete' | 'set' | 'add', value: unknown): Json => {
      const copy = structuredClone(m);
      if (path.length === 0) return how === 'set' ? (value as Json) : copy;
      let node = copy as Record<string, unknown>;
      for (const p of path.slice(0, -1)) node = node[p] as Record<string, unknown>;
      const last = path[path.length - 1];
      if (how === 'delete' && Array.isArray(node)) node.splice(Number(last), 1);
      else if (how === 'delete') delete node[last];
      else if (how === 'set') node[last] = value;
      else if (node[last] && typeof node[last] === 'object') (node[last] as Json).unknown_field = value;
      return copy;
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.nat(),
        fc.constantFrom('delete', 'set', 'add'),
        fc.jsonValue({ maxDepth: 2 }),
        (sample, pick, how, value) => {
          const all = paths(sample);
          const m = mutate(sample, all[pick % all.length], how, value);
          const verdict = sdk(m);
          // propertyNames has no OpenAPI 3.0 keyword; the contract says it in prose.
          fc.pre(!(sdk.errors ?? []).some((e) => e.keyword === 'propertyNames'));
          expect(documented(m)).toBe(verdict);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the server does what the contract says about request bodies', () => {
  const t = useTestApp();
  let admin: string;
  const PATH_VALUES: Record<string, string> = {
    plugin: 'plughub.hello',
    version: '1.0.0',
    org: 'acme',
    id: '0123456789abcdef01234567',
    user: '0123456789abcdef01234567',
    key: 'batch_size',
  };

  beforeAll(async () => {
    admin = await t.login(ADMIN.email, ADMIN.password);
  });

  const withBodies = () =>
    operations().flatMap(({ method, path, op }) => {
      const content = (op.requestBody as { content?: Record<string, { examples?: Record<string, { value: Json }> }> })
        ?.content?.['application/json'];
      // Required query parameters (an organisation's operations name it) take their documented example.
      const query = Object.fromEntries(
        ((op.parameters as Array<{ in: string; name: string; required?: boolean; schema?: Json }>) ?? [])
          .filter((p) => p.in === 'query' && p.required)
          .map((p) => [p.name, p.schema?.example ?? PATH_VALUES[p.name]]),
      );
      return Object.entries(content?.examples ?? {}).map(([name, ex]) => ({
        method,
        path,
        name,
        query,
        value: ex.value,
      }));
    });

  const send = async (method: string, path: string, body: unknown, query: Json = {}) => {
    const params = Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map(([, p]) => [p, PATH_VALUES[p]]));
    const client = t.client({ accessToken: admin }) as unknown as {
      request(m: string, p: string, init: unknown): Promise<{ response: Response; error?: Json }>;
    };
    return client.request(method, path, { params: { path: params, query }, body });
  };

  it('accepts every request example as valid input (any refusal is for another reason)', async () => {
    const refused: string[] = [];
    for (const { method, path, name, query, value } of withBodies()) {
      const { response, error } = await send(method, path, value, query);
      // A rule of the service (an unknown user, a taken key) names its reason; the input validation does not.
      const reason = (error?.details as Json | undefined)?.reason;
      if (response.status === 400 && error?.code === 'VALIDATION_ERROR' && reason === undefined) {
        refused.push(`${method} ${path} ${name}: ${JSON.stringify(error.errors)}`);
      }
    }
    expect(refused).toEqual([]);
  }, 180_000);

  it('refuses every request example with an unknown field added to any closed object in it', async () => {
    const accepted: string[] = [];
    const schemas = spec.components.schemas as Record<string, Json>;
    const closedPaths = (value: unknown, schema: Json | undefined, at: string[] = []): string[][] => {
      if (!schema || !value || typeof value !== 'object' || Array.isArray(value)) return [];
      const ref = (schema.$ref ?? (schema.allOf as Json[] | undefined)?.[0]?.$ref) as string | undefined;
      const resolved = ref ? schemas[ref.split('/').pop()!] : schema;
      const here = resolved.additionalProperties === false ? [at] : [];
      const props = (resolved.properties as Record<string, Json> | undefined) ?? {};
      return [
        ...here,
        ...Object.entries(value).flatMap(([k, v]) => {
          const sub = props[k];
          const options = (sub?.oneOf as Json[] | undefined) ?? (sub?.anyOf as Json[] | undefined);
          return options ? options.flatMap((o) => closedPaths(v, o, [...at, k])) : closedPaths(v, sub, [...at, k]);
        }),
      ];
    };
    for (const op of withBodies()) {
      const body = spec.paths[op.path][op.method]!.requestBody as { content: Record<string, { schema: Json }> };
      for (const at of closedPaths(op.value, body.content['application/json'].schema)) {
        const value = structuredClone(op.value);
        let node = value as Record<string, unknown>;
        for (const p of at) node = node[p] as Record<string, unknown>;
        node.not_in_the_contract = 1;
        const { response, error } = await send(op.method, op.path, value, op.query);
        if (response.status !== 400 || error?.code !== 'VALIDATION_ERROR') {
          accepted.push(`${op.method} ${op.path} ${op.name} at /${at.join('/')}: ${response.status}`);
        }
      }
    }
    expect(accepted).toEqual([]);
  }, 180_000);
});

describe('the server answers as the contract says', () => {
  const t = useTestApp({ env: { PLUGHUB_SAMPLES: 'true' } });
  let admin: ReturnType<typeof t.client>;

  beforeAll(async () => {
    admin = t.client({ accessToken: await t.login(ADMIN.email, ADMIN.password) });
  });

  it('reads a query number in any JSON spelling: min_rating=1e0, 0.5E1, -0 (and refuses 1e1, above 5)', async () => {
    for (const value of ['1e0', '0.5E1', '-0', '2.50']) {
      const { response } = await admin.GET('/api/plugins/', { params: { query: { min_rating: value as never } } });
      expect(response.status).toBe(200);
    }
    const { error } = await admin.GET('/api/plugins/', { params: { query: { min_rating: '1e1' as never } } });
    expect(error).toMatchObject({ code: 'VALIDATION_ERROR', errors: [{ field: 'min_rating' }] });
  });

  it('finds an organisation by the id POST /api/orgs/ answered, as well as by its slug', async () => {
    const { data: created } = await admin.POST('/api/orgs/', { body: { slug: 'contract-org', name: 'Contract' } });
    const byId = await admin.GET('/api/orgs/{org}/', { params: { path: { org: created!.id } } });
    expect(byId.data).toEqual(created);
    const members = await admin.GET('/api/orgs/{org}/members/', { params: { path: { org: created!.id } } });
    expect(members.data!.count).toBe(1);
    const bySlug = await admin.GET('/api/orgs/{org}/', { params: { path: { org: 'contract-org' } } });
    expect(bySlug.data).toEqual(created);
  });

  it('links an offset past the end back to the last page, on the client’s grid of offsets', async () => {
    const { data: all } = await admin.GET('/api/plugins/', { params: { query: { limit: 2 } } });
    const count = all!.count;
    expect(count).toBeGreaterThan(2);
    const offset = count + 10;
    const { data: past } = await admin.GET('/api/plugins/', { params: { query: { limit: 2, offset } } });
    expect(past!.results).toEqual([]);
    const last = Number(new URL(past!.previous!).searchParams.get('offset') ?? 0);
    expect((offset - last) % 2).toBe(0);
    const { data: lastPage } = await admin.GET('/api/plugins/', { params: { query: { limit: 2, offset: last } } });
    expect(lastPage!.results.length).toBeGreaterThan(0);
    expect(lastPage!.next).toBeNull();
  });

  it('does not count a HEAD on a download as a download; a GET it counts', async () => {
    const key = 'plughub.hello';
    const path = { params: { path: { plugin: key, version: '1.0.0' } } };
    const before = (await admin.GET('/api/plugins/{plugin}/versions/{version}/', path)).data!.downloads;
    const url = `${t.baseUrl}/api/plugins/${key}/versions/1.0.0/download/`;
    const headers = { authorization: `Bearer ${await t.login(ADMIN.email, ADMIN.password)}` };
    const head = await fetch(url, { method: 'HEAD', headers });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    expect((await admin.GET('/api/plugins/{plugin}/versions/{version}/', path)).data!.downloads).toBe(before);
    await admin.GET('/api/plugins/{plugin}/versions/{version}/download/', { ...path, parseAs: 'arrayBuffer' });
    expect((await admin.GET('/api/plugins/{plugin}/versions/{version}/', path)).data!.downloads).toBe(before + 1);
  });
});
