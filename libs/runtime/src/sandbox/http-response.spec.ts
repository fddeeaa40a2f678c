import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestHeaders } from '../runtime/http-request.js';
import { checkResponse, DEFAULT_RESPONSE_BOUNDS, isAllowedResponseHeader } from './http-response.js';

const check = (value: unknown) => checkResponse(JSON.stringify(value), DEFAULT_RESPONSE_BOUNDS);

describe('checkResponse', () => {
  it('normalises a good answer: status defaults to 200, names lower-case, body kept as given', () => {
    expect(check({ headers: { 'Content-Type': 'text/plain', ETag: '"v1"' }, body: 'hi' })).toEqual({
      response: { status: 200, headers: { 'content-type': 'text/plain', etag: '"v1"' }, body: 'hi' },
    });
    expect(check({ status: 204 })).toEqual({ response: { status: 204, headers: {} } });
    expect(check({ status: 302, headers: { location: '/elsewhere', 'x-trace': 'abc' } })).toMatchObject({
      response: { status: 302 },
    });
  });

  it.each([
    'set-cookie',
    'set-cookie2',
    'connection',
    'keep-alive',
    'proxy-authenticate',
    'te',
    'trailer',
    'transfer-encoding',
    'upgrade',
    'content-length',
    'content-encoding',
    'strict-transport-security',
    'content-security-policy',
    'access-control-allow-origin',
    'x-frame-options',
    'x-forwarded-for',
    'x-plughub-signature',
    'x-ratelimit-remaining',
  ])('refuses %s', (name) => {
    expect(isAllowedResponseHeader(name)).toBe(false);
    expect(check({ headers: { [name]: 'x' } })).toMatchObject({ problem: { reason: 'header_not_allowed' } });
  });

  it('takes final statuses only: a 1xx would leave the client waiting, or (101) tell a proxy the protocol changed', () => {
    for (const status of [100, 101, 103, 199, 600, 0, -1, 200.5]) {
      expect(check({ status })).toMatchObject({ problem: { reason: 'invalid_status' } });
    }
    for (const status of [200, 201, 302, 418, 599]) {
      expect(check({ status, body: { ok: true } })).toEqual({ response: { status, headers: {}, body: { ok: true } } });
    }
  });

  it('drops the body of 204, 205 and 304, which have no content', () => {
    for (const status of [204, 205, 304]) {
      expect(check({ status, headers: { etag: '"1"' }, body: { s: status } })).toEqual({
        response: { status, headers: { etag: '"1"' } },
      });
    }
  });

  it('never throws, and whatever it accepts is within the rules and the bounds', () => {
    const header = fc.oneof(
      fc.constantFrom('content-type', 'Set-Cookie', 'x-a', 'X-B', 'connection', 'etag', 'bad name', 'x-plughub-x'),
      fc.string({ maxLength: 10 }),
    );
    const answer = fc.record(
      {
        status: fc.oneof(fc.integer({ min: -10, max: 1000 }), fc.double(), fc.string()),
        headers: fc.dictionary(header, fc.oneof(fc.string({ maxLength: 50 }), fc.integer())),
        body: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(answer, fc.jsonValue()), (value) => {
        const result = check(value);
        if ('problem' in result) return typeof result.problem.reason === 'string';
        const { status, headers } = result.response;
        return (
          Number.isInteger(status) &&
          status >= 200 &&
          status <= 599 &&
          (!('body' in result.response) || ![204, 205, 304].includes(status)) &&
          Object.entries(headers).every(
            ([name, v]) => name === name.toLowerCase() && isAllowedResponseHeader(name) && !/[\r\n\0]/.test(v),
          )
        );
      }),
    );
  });
});

describe('requestHeaders', () => {
  it('never lets the caller’s credentials or hop-by-hop headers through, whatever their case', () => {
    const withheld = [
      'authorization',
      'cookie',
      'proxy-authorization',
      'connection',
      'transfer-encoding',
      'x-plughub-a',
    ];
    const casing = (s: string) =>
      fc
        .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
        .map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...withheld).chain(casing), fc.string()), { maxLength: 8 }),
        fc.dictionary(fc.stringMatching(/^x-[a-z]{1,8}$/), fc.string({ maxLength: 20 })),
        (bad, good) => {
          const out = requestHeaders({ ...good, ...Object.fromEntries(bad) });
          return Object.keys(out).every((name) => !withheld.includes(name)) && Object.keys(good).every((n) => n in out);
        },
      ),
    );
  });
});
