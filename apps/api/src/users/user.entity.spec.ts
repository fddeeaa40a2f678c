import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HANDLE_PATTERN, handleFromEmail } from './user.entity.js';

describe('handleFromEmail', () => {
  it('takes the local part, lower-cased, other characters turned into single dashes', () => {
    expect([handleFromEmail('Ann.Lee+x@a.test'), handleFromEmail('bob@acme.test'), handleFromEmail('__@x')]).toEqual([
      'ann-lee-x',
      'bob',
      'user',
    ]);
  });

  it('always gives a handle that matches the pattern, with room for a suffix', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.domain(), (local, domain) => {
        const handle = handleFromEmail(`${local}@${domain}`);
        expect(handle).toMatch(new RegExp(HANDLE_PATTERN));
        expect(handle.length).toBeLessThanOrEqual(40);
      }),
    );
  });
});
