import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchEndpoint, routeShape } from './endpoints.js';
import type { EndpointDeclaration, HttpMethod } from './manifest.types.js';
import { HTTP_METHODS } from './manifest.types.js';
import { validateManifest } from './manifest.validator.js';

const declared: EndpointDeclaration[] = [
  { path: 'login', methods: ['POST'], description: 'User login endpoint' },
  { path: 'users/:id', methods: ['GET', 'DELETE'], description: 'A user' },
  { path: 'users/me', methods: ['GET'], description: 'The caller' },
  { path: 'users/:id/files/:name', methods: ['GET', 'PUT'], description: 'A file' },
  { path: 'v1.2/~raw', methods: ['PATCH'], description: 'Odd characters' },
];

describe('matchEndpoint', () => {
  it('matches static and :param routes and returns the decoded parameters', () => {
    expect(matchEndpoint(declared, 'POST', 'login')).toEqual({ endpoint: declared[0], params: {} });
    expect(matchEndpoint(declared, 'GET', 'users/42')).toEqual({ endpoint: declared[1], params: { id: '42' } });
    expect(matchEndpoint(declared, 'GET', 'users/ada%20l/files/a%2Fb.txt')).toEqual({
      endpoint: declared[3],
      params: { id: 'ada l', name: 'a/b.txt' },
    });
    expect(matchEndpoint(declared, 'PATCH', 'v1.2/~raw')).toMatchObject({ endpoint: declared[4] });
  });

  it('ignores one leading and one trailing slash, and the case of the method', () => {
    expect(matchEndpoint(declared, 'post', '/login/')).toMatchObject({ endpoint: declared[0] });
  });

  it('prefers the static route, and falls back to the parameter route for methods the static one lacks', () => {
    expect(matchEndpoint(declared, 'GET', 'users/me')).toEqual({ endpoint: declared[2], params: {} });
    expect(matchEndpoint(declared, 'DELETE', 'users/me')).toEqual({ endpoint: declared[1], params: { id: 'me' } });
  });

  it('answers method_not_allowed with the declared methods in a fixed order', () => {
    expect(matchEndpoint(declared, 'GET', 'login')).toEqual({ error: 'method_not_allowed', allow: ['POST'] });
    expect(matchEndpoint(declared, 'POST', 'users/me')).toEqual({
      error: 'method_not_allowed',
      allow: ['GET', 'DELETE'],
    });
    expect(matchEndpoint(declared, 'HEAD', 'users/1/files/x')).toEqual({
      error: 'method_not_allowed',
      allow: ['GET', 'PUT'],
    });
  });

  it.each([
    ['', 'empty'],
    ['/', 'root'],
    ['logout', 'undeclared'],
    ['Login', 'case-sensitive'],
    ['login/extra', 'longer'],
    ['users', 'shorter'],
    ['users//files/x', 'empty segment'],
    ['users/../login', 'traversal'],
    ['users/%2e%2e', 'encoded traversal'],
    ['users/.', 'dot'],
    ['users/%E0%A4%A', 'bad encoding'],
    [`users/${'x'.repeat(3000)}`, 'too long'],
  ])('answers not_found for %j (%s)', (path) => {
    expect(matchEndpoint(declared, 'GET', path)).toEqual({ error: 'not_found' });
  });

  it('matches nothing when nothing is declared', () => {
    expect(matchEndpoint([], 'GET', 'anything')).toEqual({ error: 'not_found' });
  });

  const segment = fc.stringMatching(/^[a-z0-9_~-]{1,8}$/);
  const route = fc.array(
    fc.oneof(
      segment,
      segment.map((s) => `:p_${s.replace(/[^a-z0-9_]/g, '')}`),
    ),
    {
      minLength: 1,
      maxLength: 6,
    },
  );
  const method = fc.constantFrom(...HTTP_METHODS);

  it('finds every valid declared route again, with its parameters, through any encoding of the values', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(route, { minLength: 1, maxLength: 8, selector: (r) => routeShape(r.join('/')) }),
        fc.nat(),
        fc.array(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 6, maxLength: 6 }),
        method,
        (routes, pick, values, verb) => {
          const endpoints = routes.map((r) => ({ path: r.join('/'), methods: [verb], description: 'x' }));
          fc.pre(
            routes.every(
              (r) => new Set(r.filter((s) => s.startsWith(':'))).size === r.filter((s) => s.startsWith(':')).length,
            ),
          );
          fc.pre(
            validateManifest({
              key: 'a.b',
              name: 'x',
              version: '1.0.0',
              description: 'x',
              main: 'i.js',
              permissions: ['endpoints:serve'],
              endpoints,
            }).valid,
          );
          const target = routes[pick % routes.length];
          fc.pre(target.every((s, i) => !s.startsWith(':') || (values[i] !== '.' && values[i] !== '..')));
          const path = target.map((s, i) => (s.startsWith(':') ? encodeURIComponent(values[i]) : s)).join('/');
          const result = matchEndpoint(endpoints, verb, path);
          if (!('endpoint' in result)) return false;
          // Another declared route may be more specific for this path; it must then match the same segments.
          const expected = Object.fromEntries(
            result.endpoint.path
              .split('/')
              .map((s, i) => [s, path.split('/')[i]] as const)
              .filter(([s]) => s.startsWith(':'))
              .map(([s, v]) => [s.slice(1), decodeURIComponent(v)]),
          );
          return JSON.stringify(result.params) === JSON.stringify(expected);
        },
      ),
    );
  });

  it('never throws, and answers 405 only with methods that are declared for a matching path', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 8 }), (path, verb) => {
        const result = matchEndpoint(declared, verb, path);
        if ('endpoint' in result) return (result.endpoint.methods as string[]).includes(verb.toUpperCase());
        if (result.error === 'not_found') return true;
        return result.allow.length > 0 && result.allow.every((m: HttpMethod) => HTTP_METHODS.includes(m));
      }),
    );
  });
});
