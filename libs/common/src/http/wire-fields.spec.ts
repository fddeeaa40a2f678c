import fc from 'fast-check';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { wireFields } from './wire-fields.js';

interface Account {
  id: string;
  isActive: boolean;
  lastLoginAt: Date | null;
  createdAt: Date;
  passwordHash: string;
  memory_mb: number;
}

const account: Account = {
  id: 'a1',
  isActive: true,
  lastLoginAt: null,
  createdAt: new Date('2026-01-02T03:04:05.006Z'),
  passwordHash: 'scrypt$secret',
  memory_mb: 16,
};

describe('wireFields', () => {
  it('names the fields as the contract spells them', () => {
    expect(Object.keys(wireFields(account, 'id', 'isActive', 'lastLoginAt', 'memory_mb'))).toEqual([
      'id',
      'is_active',
      'last_login_at',
      'memory_mb',
    ]);
  });

  it('answers a Date as its ISO string', () => {
    expect(wireFields(account, 'createdAt')).toEqual({ created_at: '2026-01-02T03:04:05.006Z' });
  });

  it('keeps a null as null', () => {
    expect(wireFields(account, 'lastLoginAt')).toEqual({ last_login_at: null });
  });

  it('copies only the fields it is given', () => {
    expect(wireFields(account, 'id')).toEqual({ id: 'a1' });
  });

  it('types the answer under the contract names', () => {
    expectTypeOf(wireFields(account, 'isActive', 'lastLoginAt', 'createdAt')).toEqualTypeOf<{
      is_active: boolean;
      last_login_at: string | null;
      created_at: string;
    }>();
  });

  it('spells a name the same the second time (the remembered spelling is the computed one)', () => {
    const first = wireFields(account, 'lastLoginAt', 'createdAt');
    expect(wireFields(account, 'lastLoginAt', 'createdAt')).toEqual(first);
    expect(Object.keys(first)).toEqual(['last_login_at', 'created_at']);
  });

  it('turns every camelCase name into its lower-case, underscore-separated form', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), { minLength: 1, maxLength: 4 }), (words) => {
        const name = words.map((w, i) => (i === 0 ? w : w[0].toUpperCase() + w.slice(1))).join('');
        expect(Object.keys(wireFields({ [name]: 1 }, name))).toEqual([words.join('_')]);
        expect(Object.keys(wireFields({ [name]: 2 }, name))).toEqual([words.join('_')]);
      }),
    );
  });
});
