import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretBox, secretKey, SecretUnreadableError } from './secret-box.js';

const key = () => secretKey(randomBytes(32));
const reasonOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof SecretUnreadableError ? err.reason : 'other';
  }
  return 'opened';
};

describe('SecretBox', () => {
  it('opens what it sealed, for any JSON value', () => {
    const box = new SecretBox(key());
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, context) => {
        expect(box.open(box.seal(value, context), context)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 200 },
    );
  });

  it('never shows the value, and seals the same value differently each time', () => {
    const box = new SecretBox(key());
    const a = box.seal('open-sesame', 'i1/admin_token');
    const b = box.seal('open-sesame', 'i1/admin_token');
    expect(a).not.toBe(b);
    expect(a).not.toContain('open-sesame');
    expect(Buffer.from(a.split('.')[3], 'base64url').toString()).not.toContain('open-sesame');
    expect(a).toMatch(/^v1\.[0-9a-f]{16}\.[\w-]+\.[\w-]*\.[\w-]+$/);
  });

  it('refuses a ciphertext moved to another installation or setting', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('s3cret', 'i1/api_key');
    expect(reasonOf(() => box.open(sealed, 'i2/api_key'))).toBe('tampered');
    expect(reasonOf(() => box.open(sealed, 'i1/other'))).toBe('tampered');
  });

  it('refuses a tampered, truncated or foreign ciphertext with a reason, never the value', () => {
    const box = new SecretBox(key());
    const sealed = box.seal('s3cret', 'c');
    const parts = sealed.split('.');
    const flipped = Buffer.from(parts[3], 'base64url');
    flipped[0] ^= 1;
    expect(
      reasonOf(() => box.open([...parts.slice(0, 3), flipped.toString('base64url'), parts[4]].join('.'), 'c')),
    ).toBe('tampered');
    expect(reasonOf(() => box.open(parts.slice(0, 4).join('.'), 'c'))).toBe('malformed');
    expect(reasonOf(() => box.open('v2' + sealed.slice(2), 'c'))).toBe('malformed');
    expect(reasonOf(() => new SecretBox(key()).open(sealed, 'c'))).toBe('unknown_key');
  });

  it('opens values sealed by a previous key after a rotation, and says which ones need re-sealing', () => {
    const old = key();
    const next = key();
    const before = new SecretBox(old).seal({ token: 'x' }, 'c');
    const rotated = new SecretBox(next, [old]);
    expect(rotated.open(before, 'c')).toEqual({ token: 'x' });
    expect([rotated.isCurrent(before), rotated.isCurrent(rotated.seal(1, 'c'))]).toEqual([false, true]);
    expect(rotated.keyIdOf(before)).toBe(old.id);
    expect(rotated.currentKeyId).toBe(next.id);
  });
});
