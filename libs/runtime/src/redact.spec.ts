import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it('replaces every occurrence of every secret value', () => {
    const secrets = { api_key: 'sk-live-123', password: 'hunter2' };
    expect(redactSecrets('key sk-live-123, again sk-live-123; pw=hunter2', secrets)).toBe(
      `key ${REDACTED}, again ${REDACTED}; pw=${REDACTED}`,
    );
  });

  it('replaces a secret containing another one whole', () => {
    expect(redactSecrets('token abc-abcdef', { short: 'abc', long: 'abc-abcdef' })).toBe(`token ${REDACTED}`);
  });

  it('matches number secrets by their digits, and skips empty values', () => {
    expect(redactSecrets('pin 48151623 ok', { pin: 48151623, none: '', off: null })).toBe(`pin ${REDACTED} ok`);
  });

  it('never leaves a secret in the text, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string(), (secret, before, after) => {
        const out = redactSecrets(`${before}${secret}${after}${secret}`, { secret });
        expect(out.includes(secret) && !REDACTED.includes(secret)).toBe(false);
      }),
    );
  });
});
