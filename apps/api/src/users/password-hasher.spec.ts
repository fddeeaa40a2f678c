import { describe, expect, it } from 'vitest';
import { type ScryptFn, ScryptPasswordHasher } from './password-hasher.js';

// A low cost keeps the real scrypt fast here; the parameters travel with each hash.
const fast = () => new ScryptPasswordHasher({ concurrency: 2, cost: 1 << 10 });

describe('ScryptPasswordHasher', () => {
  it('verifies the right password', async () => {
    const hasher = fast();
    expect(await hasher.verify('correct horse battery', await hasher.hash('correct horse battery'))).toBe(true);
  });

  it('rejects a wrong password', async () => {
    const hasher = fast();
    expect(await hasher.verify('correct horse batterY', await hasher.hash('correct horse battery'))).toBe(false);
  });

  it('stores the scheme and parameters, never the password', async () => {
    const stored = await fast().hash('correct horse battery');
    expect(stored.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '8', '1']);
    expect(stored).not.toContain('correct horse');
  });

  it('salts every hash', async () => {
    const hasher = fast();
    const [a, b] = await Promise.all([hasher.hash('same'), hasher.hash('same')]);
    expect(a).not.toBe(b);
  });

  it('refuses stored values of another scheme or no value at all', async () => {
    const hasher = fast();
    expect([await hasher.verify('same', 'md5$abc'), await hasher.verify('same', '')]).toEqual([false, false]);
  });

  it('keeps at most `concurrency` scrypt calls in flight, however many logins arrive at once', async () => {
    let inFlight = 0;
    let peak = 0;
    let calls = 0;
    const releases: Array<() => void> = [];
    const scrypt: ScryptFn = async (_password, _salt, keylen) => {
      calls++;
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
      return Buffer.alloc(keylen);
    };
    const hasher = new ScryptPasswordHasher({ concurrency: 3, scrypt });
    const logins = Array.from({ length: 32 }, () => hasher.burn('wrong password'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(hasher.load).toEqual({ active: 3, waiting: 29 });
    while (calls < 32 || releases.length) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(logins);
    expect([calls, peak, hasher.load.active]).toEqual([32, 3, 0]);
  });
});
