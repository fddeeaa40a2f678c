import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '@app/common';
import type { AuthConfig } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config.module.js';
import { LoginRateLimitedError } from './auth.errors.js';
import { LoginFailureRepository } from './persistence/login-failure.repository.js';

const counterId = (kind: 'account' | 'address', value: string) =>
  createHash('sha256').update(`${kind}:${value}`).digest('hex');

/**
 * Throttles password guessing: failed logins are counted per account (the email as typed, lower-cased, whether or
 * not it exists, so the answer tells nothing) and per client address, in fixed windows. Once either count reaches
 * its limit every login for it answers 429 RATE_LIMITED with Retry-After until the window ends, before any
 * password is hashed. Successful logins are not counted, and clear their account's counter.
 *
 * Our own counter store rather than @fastify/rate-limit or @nestjs/throttler: both count requests, not failures,
 * and key by one value per route; here a request is counted only after its credentials were found wrong, under two
 * keys. The counters live in Mongo, so every API node sharing the database sees the same counts.
 */
@Injectable()
export class LoginThrottle {
  constructor(
    private readonly failures: LoginFailureRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** LoginRateLimitedError when the account or the address has no failed attempt left in its window. */
  async check(email: string, address: string): Promise<void> {
    const { perAccount, perAddress } = this.config.loginThrottle;
    const ids = this.ids(email, address);
    const now = this.clock.now();
    const live = await this.failures.live([ids.account, ids.address], now);
    const blocked = [
      [live.get(ids.account), perAccount],
      [live.get(ids.address), perAddress],
    ] as const;
    const until = blocked
      .filter(([w, limit]) => w !== undefined && w.count >= limit)
      .map(([w]) => w!.resetAt.getTime());
    if (until.length)
      throw new LoginRateLimitedError(Math.max(1, Math.ceil((Math.max(...until) - now.getTime()) / 1000)));
  }

  async recordFailure(email: string, address: string): Promise<void> {
    const ids = this.ids(email, address);
    const now = this.clock.now();
    const windowMs = this.config.loginThrottle.windowSeconds * 1000;
    await Promise.all([
      this.failures.increment(ids.account, now, windowMs),
      this.failures.increment(ids.address, now, windowMs),
    ]);
  }

  async recordSuccess(email: string): Promise<void> {
    await this.failures.clear(counterId('account', email.trim().toLowerCase()));
  }

  private ids(email: string, address: string) {
    return { account: counterId('account', email.trim().toLowerCase()), address: counterId('address', address) };
  }
}
