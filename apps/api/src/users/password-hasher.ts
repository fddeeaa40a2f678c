import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { Semaphore } from '@app/common';

export type ScryptFn = (password: string, salt: Buffer, keylen: number, options: ScryptParams) => Promise<Buffer>;

interface ScryptParams {
  N: number;
  r: number;
  p: number;
  maxmem: number;
}

const nodeScrypt: ScryptFn = (password, salt, keylen, options) =>
  new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );

/**
 * The seam for password hashing: UsersService hashes and verifies through it, so service specs use a cheap one
 * and production bounds the expensive one.
 */
export abstract class PasswordHasher {
  abstract hash(password: string): Promise<string>;
  /** False for a wrong password and for a stored value it cannot read. */
  abstract verify(password: string, stored: string): Promise<boolean>;
  /** Costs what a verify costs, for an account that does not exist: timing must not tell the two apart. */
  abstract burn(password: string): Promise<void>;
}

export interface ScryptHasherOptions {
  /** Hashes computed at once; the rest wait their turn. */
  concurrency: number;
  /** CPU/memory cost N (a power of two). Production keeps the default; tests may lower it. */
  cost?: number;
  /** The scrypt implementation (node:crypto's); replaced only by the spec that counts concurrent calls. */
  scrypt?: ScryptFn;
}

// OWASP's scrypt floor (N=2^17, r=8, p=1: 128 MiB per hash) with a 64-byte key; parameters are stored per hash
// so they can be raised later without invalidating existing passwords.
const DEFAULT_COST = 1 << 17;
const R = 8;
const P = 1;
const KEYLEN = 64;
const MAXMEM = 256 * 1024 * 1024;

/**
 * scrypt, with at most `concurrency` hashes in flight. Each one holds a libuv thread for its whole run (and 128
 * MiB): unbounded, 32 concurrent wrong logins took every thread of the pool, and the embedded engine's file I/O,
 * which needs the same pool, waited behind them (an unrelated write went from 6 ms to 4.8 s).
 */
export class ScryptPasswordHasher extends PasswordHasher {
  private readonly slots: Semaphore;
  private readonly cost: number;
  private readonly scrypt: ScryptFn;
  private readonly dummy: string;

  constructor(options: ScryptHasherOptions) {
    super();
    this.slots = new Semaphore(options.concurrency);
    this.cost = options.cost ?? DEFAULT_COST;
    this.scrypt = options.scrypt ?? nodeScrypt;
    // Verifying against this costs exactly what verifying a real hash of the same parameters costs.
    this.dummy = [
      'scrypt',
      this.cost,
      R,
      P,
      Buffer.alloc(16).toString('base64'),
      Buffer.alloc(KEYLEN).toString('base64'),
    ].join('$');
  }

  /** Hashes running now and waiting; for diagnostics and the spec. */
  get load(): { active: number; waiting: number } {
    return { active: this.slots.active, waiting: this.slots.waiting };
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const params = { N: this.cost, r: R, p: P, maxmem: MAXMEM };
    const key = await this.slots.run(() => this.scrypt(password, salt, KEYLEN, params));
    return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<boolean> {
    const [scheme, n, r, p, salt, key] = stored.split('$');
    if (scheme !== 'scrypt' || !salt || !key) return false;
    const expected = Buffer.from(key, 'base64');
    const params = { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM };
    const actual = await this.slots.run(() =>
      this.scrypt(password, Buffer.from(salt, 'base64'), expected.length, params),
    );
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  async burn(password: string): Promise<void> {
    await this.verify(password, this.dummy);
  }
}
