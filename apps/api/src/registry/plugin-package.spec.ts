import { describe, expect, it } from 'vitest';
import { isBase64 } from './plugin-package.js';

describe('isBase64', () => {
  it('accepts canonical base64, long input included, without blowing the stack', () => {
    for (const s of ['', 'QQ==', 'QUI=', 'QUJD', Buffer.alloc(6_000_000, 1).toString('base64')]) {
      expect(isBase64(s)).toBe(true);
    }
  });

  it('refuses anything else', () => {
    for (const s of ['Q', 'QQ=', 'Q===', '****', 'QU=D', 'QUJD\n', 'Q-_D', 'QR==']) expect(isBase64(s)).toBe(false);
  });
});
