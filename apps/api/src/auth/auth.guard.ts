import { type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { AUTH_METADATA, type AuthRequirement, type AuthUser, forbidden, hasRole, unauthenticated } from '@app/common';
import type { FastifyRequest } from 'fastify';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: every route needs a JWT or an API token unless it is marked @Public();
 * then the route's roles and the token's scopes are checked.
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
    if (requirement.public) return true;
    await super.canActivate(context);

    const request = context.switchToHttp().getRequest<FastifyRequest & { user: AuthUser }>();
    const user = request.user;
    if (requirement.roles?.length && !requirement.roles.some((role) => hasRole(user, role))) {
      throw forbidden(`This action requires one of the roles: ${requirement.roles.join(', ')}.`);
    }
    if (user.scopes) {
      if (!SAFE_METHODS.has(request.method) && !user.scopes.includes('write')) {
        throw forbidden('This API token is read-only (scope "read").');
      }
      if (requirement.roles?.includes('admin') && !user.scopes.includes('admin')) {
        throw forbidden('This API token lacks the "admin" scope.');
      }
    }
    return true;
  }

  override handleRequest<TUser>(err: unknown, user: TUser | false): TUser {
    if (err) throw err;
    if (!user) throw unauthenticated();
    return user;
  }
}
