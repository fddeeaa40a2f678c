import { describe, expect, it } from 'vitest';
import { VerifiedJwts } from './verified-jwts.js';

const NOW_MS = 1_700_000_000_000;
const claims = (sub: string, expInS = 3600) => ({ sub, ver: 0, exp: Math.floor(NOW_MS / 1000) + expInS });

describe('VerifiedJwts', () => {
  it('answers the claims of a token it was given', () => {
    const cache = new VerifiedJwts();
    cache.add('token-a', claims('a'));
    expect(cache.get('token-a', NOW_MS)?.sub).toBe('a');
    expect(cache.get('token-b', NOW_MS)).toBeUndefined();
  });

  it('drops a token from the second of its exp on', () => {
    const cache = new VerifiedJwts();
    cache.add('token-a', claims('a', 10));
    expect(cache.get('token-a', NOW_MS + 9_999)?.sub).toBe('a');
    expect(cache.get('token-a', NOW_MS + 10_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps at most max tokens, evicting the least recently used', () => {
    const cache = new VerifiedJwts(2);
    cache.add('token-a', claims('a'));
    cache.add('token-b', claims('b'));
    cache.get('token-a', NOW_MS); // a is now the most recently used
    cache.add('token-c', claims('c'));
    expect(cache.size).toBe(2);
    expect(cache.get('token-b', NOW_MS)).toBeUndefined();
    expect(cache.get('token-a', NOW_MS)?.sub).toBe('a');
    expect(cache.get('token-c', NOW_MS)?.sub).toBe('c');
  });

  it('adding a token it holds does not evict another', () => {
    const cache = new VerifiedJwts(2);
    cache.add('token-a', claims('a'));
    cache.add('token-b', claims('b'));
    cache.add('token-b', claims('b'));
    expect(cache.size).toBe(2);
    expect(cache.get('token-a', NOW_MS)?.sub).toBe('a');
  });
});
