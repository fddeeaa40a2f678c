import type { JwtClaims } from './auth.entity.js';

/** How many verified JWTs one API node keeps (about 200 bytes each with its claims). */
export const VERIFIED_JWTS_MAX = 10_000;

/**
 * JWTs whose signature was verified, by token string, so a request with a known token skips the base64 decoding,
 * JSON parsing and HMAC of a verification. A bounded LRU: past `max` entries the least recently used goes.
 *
 * It only remembers what a token string says (its signature cannot change); everything that can change is still
 * read on every request: the expiry here (a token past its `exp` is dropped, never answered), and the user's
 * token version, activity and roles by the caller, from the user cache that every write on this node invalidates.
 * Invalid tokens are never kept, so a flood of them cannot push valid ones out.
 */
export class VerifiedJwts {
  private readonly entries = new Map<string, JwtClaims>();

  constructor(private readonly max = VERIFIED_JWTS_MAX) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The claims of a token verified before and not expired at `nowMs`, or undefined. Expiry is compared the way
   * jsonwebtoken does (whole seconds: expired from the second `exp` on).
   */
  get(token: string, nowMs: number): JwtClaims | undefined {
    const claims = this.entries.get(token);
    if (claims === undefined) return undefined;
    if (claims.exp !== undefined && Math.floor(nowMs / 1000) >= claims.exp) {
      this.entries.delete(token);
      return undefined;
    }
    // Most recently used last: Map keeps insertion order, so the first key is the one to evict.
    this.entries.delete(token);
    this.entries.set(token, claims);
    return claims;
  }

  /** Remembers a token whose signature and expiry were just verified. */
  add(token: string, claims: JwtClaims): void {
    this.entries.delete(token);
    if (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, claims);
  }
}
