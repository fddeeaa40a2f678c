import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import {
  AppError,
  type AuthUser,
  forbidden,
  notFound,
  type PageWindow,
  type Slice,
  type TokenScope,
  unauthenticated,
} from '@app/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import { type ApiToken, ApiTokenRepository } from './api-token.repository.js';
import { verifyPassword } from './password.js';

export const API_TOKEN_PREFIX = 'phk_';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export interface JwtClaims {
  sub: string;
}

// A failed login costs the same whether or not the email exists, so timing does not reveal accounts.
const DUMMY_HASH =
  'scrypt$131072$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly tokens: ApiTokenRepository,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(email: string, password: string): Promise<IssuedToken> {
    const user = await this.users.findByEmail(email);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok || !user.isActive) throw unauthenticated('Invalid email or password.');
    await this.users.recordLogin(user.id);
    const claims: JwtClaims = { sub: user.id };
    return {
      access_token: await this.jwt.signAsync(claims),
      token_type: 'Bearer',
      expires_in: this.config.jwt.ttlSeconds,
    };
  }

  async register(input: { email: string; password: string; name: string }): Promise<User> {
    if (!this.config.openSignup) {
      throw forbidden('Self sign-up is disabled on this instance; ask an administrator for an account.');
    }
    return this.users.create({ ...input, roles: ['user'] });
  }

  /** Resolves a JWT subject to the caller, or null when the user is gone or inactive. */
  async userFromJwt(claims: JwtClaims): Promise<AuthUser | null> {
    const user = await this.users.findForAuth(claims.sub);
    if (!user || !user.isActive) return null;
    return { id: user.id, email: user.email, name: user.name, roles: user.roles, method: 'jwt', scopes: null };
  }

  /** Resolves an API key to the caller, or null when it is unknown, revoked or expired. */
  async userFromApiKey(key: string): Promise<AuthUser | null> {
    if (!key.startsWith(API_TOKEN_PREFIX)) return null;
    const token = await this.tokens.findByHash(hashApiKey(key));
    const now = new Date();
    if (!token || token.revokedAt || (token.expiresAt && token.expiresAt <= now)) return null;
    const user = await this.users.findForAuth(token.userId);
    if (!user || !user.isActive) return null;
    // last_used_at is informational; minute precision spares a write on every request.
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > 60_000) {
      await this.tokens.touch(token.id, now);
    }
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      roles: user.roles,
      method: 'token',
      scopes: token.scopes.length ? token.scopes : null,
      tokenId: token.id,
    };
  }

  async createApiToken(
    caller: AuthUser,
    input: { name: string; scopes?: TokenScope[]; expires_at?: string },
  ): Promise<{ token: ApiToken; key: string }> {
    const expiresAt = input.expires_at ? new Date(input.expires_at) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new AppError('VALIDATION_ERROR', 'The token would already be expired.', [
        { field: 'expires_at', message: 'must be in the future' },
      ]);
    }
    // A token can never hold more than the token that created it.
    const scopes = input.scopes ?? [];
    if (caller.scopes && (scopes.length === 0 || scopes.some((s) => !caller.scopes!.includes(s)))) {
      throw forbidden('A scoped token can only create tokens with a subset of its own scopes.');
    }
    const key = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const token = await this.tokens.create({
      userId: caller.id,
      name: input.name,
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, API_TOKEN_PREFIX.length + 6),
      scopes,
      expiresAt,
    });
    return { token, key };
  }

  listApiTokens(caller: AuthUser, window: PageWindow): Promise<Slice<ApiToken>> {
    return this.tokens.listActive(caller.id, window.offset, window.limit);
  }

  async revokeApiToken(caller: AuthUser, id: string): Promise<void> {
    if (!(await this.tokens.revoke(caller.id, id))) throw notFound('API token');
  }
}
