import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { type AuthUser, Clock, unauthenticated } from '@app/common';
import type { AuthConfig } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config.module.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { API_TOKEN_PREFIX, hashApiKey } from './api-key.js';
import type { JwtClaims } from './auth.entity.js';
import { badCredentials, SignupDisabledError } from './auth.errors.js';
import type { TokenResponseDto } from './dto/token-response.dto.js';
import { LoginThrottle } from './login-throttle.js';
import { VerifiedJwts } from './verified-jwts.js';
import { ApiTokenRepository } from './persistence/api-token.repository.js';

/** last_used_at is informational; minute precision spares a write on every request. */
const TOUCH_EVERY_MS = 60_000;

const BEARER = /^Bearer\s+(\S+)$/i;
/** `Authorization: Token <key>`, the InvenTree/DRF tokenAuth scheme, for API tokens. */
const API_KEY = /^Token\s+(\S+)$/i;

/** Logging in, signing up, and turning a JWT or an API key into the caller. */
@Injectable()
export class AuthService {
  private readonly verifiedJwts = new VerifiedJwts();
  /** GET /api/auth/me/'s answer per User object the auth cache gave (a changed user is a new object). */
  private readonly meAnswers = new WeakMap<User, UserResponseDto>();

  constructor(
    private readonly users: UsersService,
    private readonly tokens: ApiTokenRepository,
    private readonly jwt: JwtService,
    private readonly throttle: LoginThrottle,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * A JWT for the right email and password. Throttled (LoginThrottle): an account or a client address that failed
   * too often answers 429 before its password is even checked; only failures count.
   */
  async login(email: string, password: string, address: string): Promise<TokenResponseDto> {
    await this.throttle.check(email, address);
    const user = await this.users.checkCredentials(email, password);
    if (!user) {
      await this.throttle.recordFailure(email, address);
      throw badCredentials();
    }
    await Promise.all([this.users.recordLogin(user.id), this.throttle.recordSuccess(email)]);
    const claims: JwtClaims = { sub: user.id, ver: user.tokenVersion };
    return {
      access_token: await this.jwt.signAsync(claims),
      token_type: 'Bearer',
      expires_in: this.config.jwt.ttlSeconds,
    };
  }

  register(input: { email: string; password: string; name: string }): Promise<UserResponseDto> {
    if (!this.config.openSignup) throw new SignupDisabledError();
    return this.users.create({ ...input, roles: ['user'] });
  }

  /**
   * The authenticated user; the guard has just resolved it through the short-lived auth cache, which answers the
   * same User object until the user changes (or the entry expires), so its answer is built once per such object.
   */
  async me(caller: AuthUser): Promise<UserResponseDto> {
    const user = await this.users.findForAuth(caller.id);
    if (!user) throw unauthenticated();
    let answer = this.meAnswers.get(user);
    if (!answer) this.meAnswers.set(user, (answer = UserResponseDto.from(user)));
    return answer;
  }

  /**
   * The caller an Authorization header proves: a JWT (`Bearer …`) or an API key (`Token …`); null for anything
   * else, a bad or expired token, or a user who may no longer use it. The global guard's one question, answered
   * synchronously when it needs no lookup (no credentials, a bad token, a known JWT of a cached user): a request
   * then makes no promise for it.
   */
  authenticate(authorization: string | undefined): AuthUser | null | Promise<AuthUser | null> {
    if (authorization === undefined) return null;
    const bearer = BEARER.exec(authorization);
    if (bearer) {
      const claims = this.verifiedClaims(bearer[1]);
      return claims ? this.userFromJwt(claims) : null;
    }
    const key = API_KEY.exec(authorization);
    return key ? this.userFromApiKey(key[1]) : null;
  }

  /**
   * The claims of a JWT signed with this instance's key (HS256 only) and not expired, or null. A token verified
   * before comes from VerifiedJwts, which checks its expiry again. JWTs are signed and checked on the wall clock
   * (jsonwebtoken's), not the injected Clock.
   */
  private verifiedClaims(token: string): JwtClaims | null {
    const now = Date.now();
    const known = this.verifiedJwts.get(token, now);
    if (known) return known;
    let claims: JwtClaims;
    try {
      claims = this.jwt.verify<JwtClaims>(token, {
        algorithms: ['HS256'],
        clockTimestamp: Math.floor(now / 1000),
      });
    } catch {
      return null;
    }
    if (typeof claims.sub !== 'string') return null;
    this.verifiedJwts.add(token, claims);
    return claims;
  }

  /**
   * Resolves a JWT subject to the caller, or null when the user is gone or inactive, or the JWT was issued before
   * the user's last password change (its token version is older).
   */
  userFromJwt(claims: JwtClaims): AuthUser | null | Promise<AuthUser | null> {
    const user = this.users.findForAuth(claims.sub);
    return user instanceof Promise ? user.then((u) => jwtCaller(claims, u)) : jwtCaller(claims, user);
  }

  /** Resolves an API key to the caller, or null when it is unknown, revoked or expired. */
  async userFromApiKey(key: string): Promise<AuthUser | null> {
    if (!key.startsWith(API_TOKEN_PREFIX)) return null;
    const token = await this.tokens.findByHash(hashApiKey(key));
    const now = this.clock.now();
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) return null;
    const user = await this.users.findForAuth(token.userId);
    if (!user || !user.isActive) return null;
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_EVERY_MS) {
      await this.tokens.touch(token.id, now);
    }
    return caller(user, { method: 'token', scopes: token.scopes.length ? token.scopes : null, tokenId: token.id });
  }
}

function jwtCaller(claims: JwtClaims, user: User | null): AuthUser | null {
  if (!user || !user.isActive || (claims.ver ?? 0) !== user.tokenVersion) return null;
  return caller(user, { method: 'jwt', scopes: null });
}

const caller = (user: User, how: Pick<AuthUser, 'method' | 'scopes' | 'tokenId'>): AuthUser => ({
  id: user.id,
  email: user.email,
  name: user.name,
  roles: user.roles,
  ...how,
});
