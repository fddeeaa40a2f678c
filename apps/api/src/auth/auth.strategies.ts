import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { AuthUser } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { Strategy as PassportBaseStrategy } from 'passport';
import { ExtractJwt, Strategy as JwtBaseStrategy } from 'passport-jwt';
import { JWT_KEY } from './auth.tokens.js';
import type { JwtClaims } from './auth.entity.js';
import { AuthService } from './auth.service.js';

@Injectable()
export class JwtStrategy extends PassportStrategy(JwtBaseStrategy, 'jwt') {
  constructor(
    private readonly auth: AuthService,
    @Inject(JWT_KEY) key: KeyObject,
  ) {
    // A KeyObject, not a string: with a string jsonwebtoken tries to parse it as a PEM key on every
    // request, which costs most of a guarded route's throughput.
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // passport-jwt's types predate KeyObject; jsonwebtoken accepts it.
      secretOrKey: key as unknown as Buffer,
      algorithms: ['HS256'],
    });
  }

  validate(claims: JwtClaims): Promise<AuthUser | null> {
    return this.auth.userFromJwt(claims);
  }
}

type VerifyKey = (key: string, done: (err: unknown, user?: AuthUser | null) => void) => void;

/** `Authorization: Token <key>`, the InvenTree/DRF tokenAuth scheme, for API tokens. */
class ApiKeyBaseStrategy extends PassportBaseStrategy {
  constructor(private readonly verify: VerifyKey) {
    super();
    this.name = 'token';
  }

  override authenticate(req: Parameters<PassportBaseStrategy['authenticate']>[0]): void {
    const header = (req as unknown as FastifyRequest).headers.authorization;
    const match = typeof header === 'string' ? /^Token\s+(\S+)$/i.exec(header) : null;
    if (!match) return this.fail(401);
    this.verify(match[1], (err, user) => {
      if (err) this.error(err instanceof Error ? err : new Error(`API key check failed: ${JSON.stringify(err)}`));
      else if (user) this.success(user);
      else this.fail(401);
    });
  }
}

@Injectable()
export class ApiKeyStrategy extends PassportStrategy(ApiKeyBaseStrategy, 'token') {
  constructor(private readonly auth: AuthService) {
    super();
  }

  validate(key: string): Promise<AuthUser | null> {
    return this.auth.userFromApiKey(key);
  }
}
