import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact.js';

describe('redact', () => {
  it('replaces passwords, tokens and secrets by name, in any nesting', () => {
    expect(
      redact({
        email: 'a@b.c',
        password: 'hunter22',
        nested: [{ access_token: 'abc', api_key: 'k', clientSecret: 's', name: 'n' }],
      }),
    ).toEqual({
      email: 'a@b.c',
      password: REDACTED,
      nested: [{ access_token: REDACTED, api_key: REDACTED, clientSecret: REDACTED, name: 'n' }],
    });
  });

  it('replaces API token keys and JWTs by their shape, under any name', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(redact({ key: 'phk_abcdefghijklmnop', note: jwt, plugin: 'acme.tool' })).toEqual({
      key: REDACTED,
      note: REDACTED,
      plugin: 'acme.tool',
    });
  });

  it("drops the default of a manifest setting marked secret, and the request's known secret values anywhere", () => {
    const out = redact(
      { settings: { webhook_url: { type: 'string', secret: true, default: 'x1' } }, config: { url: 'sekrit-v' } },
      { secretValues: new Set(['sekrit-v']) },
    );
    expect(out).toEqual({
      settings: { webhook_url: { type: 'string', secret: true, default: REDACTED } },
      config: { url: REDACTED },
    });
  });

  it('keeps no secret value whatever the shape of the body', () => {
    const secret = 'S3cret-value-0001';
    const body = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue(),
        fc.dictionary(fc.constantFrom('password', 'token', 'a', 'b'), tie('node')),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.constant({ password: secret }),
      ),
    })).node;
    fc.assert(
      fc.property(body, (b) => {
        expect(JSON.stringify(redact(b))).not.toContain(secret);
      }),
    );
  });

  it('bounds depth, width and string length, and escapes keys Mongo treats specially', () => {
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(JSON.stringify(redact(deep))).toContain('[too deep]');
    expect(JSON.stringify(redact({ s: 'x'.repeat(10_000) })).length).toBeLessThan(2100);
    expect(Object.keys(redact({ $where: 1, 'a.b': 2 }) as object)).toEqual(['＄where', 'a．b']);
  });
});
