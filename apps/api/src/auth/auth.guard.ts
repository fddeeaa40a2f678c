import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AUTH_METADATA, type AuthRequirement, type AuthUser, unauthenticated } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { assertAccess, effectiveCaller } from './token-scopes.js';

/**
 * The global guard: every route needs a JWT or an API token unless it is marked @Public() (or
 * @OptionallyAuthenticated(), which checks credentials only when a request carries them);
 * then the route's roles and the token's scopes are checked, and the caller every handler sees carries the roles
 * the token's scopes leave it (effectiveCaller), so each rule downstream honours the scopes without knowing them.
 */
@Injectable()
export class GlobalAuthGuard extends AuthGuard(['jwt', 'token']) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const requirement =
      this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ?? {};
    const request = context.switchToHttp().getRequest<FastifyRequest & { user: AuthUser }>();
    if (requirement.public && !(requirement.optional && request.headers.authorization !== undefined)) return true;
    await super.canActivate(context);
    assertAccess(request.user, request.method, requirement);
    request.user = effectiveCaller(request.user);
    return true;
  }

  override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
    if (err) throw err instanceof Error ? err : unauthenticated();
    if (!user) throw unauthenticated();
    return user;
  }
}
