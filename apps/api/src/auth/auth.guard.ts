import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AUTH_METADATA, type AuthRequirement, type AuthUser, unauthenticated } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { AuthService } from './auth.service.js';
import { assertAccess, effectiveCaller } from './token-scopes.js';

type CallerRequest = FastifyRequest & { user?: AuthUser };

/** Lets the caller in, or throws: unknown (401), or not allowed by the route's roles and the token's scopes. */
function admit(request: CallerRequest, requirement: AuthRequirement, user: AuthUser | null): true {
  if (!user) throw unauthenticated();
  // Known before the route's rules are checked: a refusal is still recorded (audit) with who was refused.
  request.user = user;
  assertAccess(user, request.method, requirement);
  request.user = effectiveCaller(user);
  return true;
}

/**
 * The global guard: every route needs a JWT or an API token unless it is marked @Public() (or
 * @OptionallyAuthenticated(), which checks credentials only when a request carries them);
 * then the route's roles and the token's scopes are checked, and the caller every handler sees carries the roles
 * the token's scopes leave it (effectiveCaller), so each rule downstream honours the scopes without knowing them.
 *
 * It runs on every request, so it does the least it can: the route's requirement is read from the metadata once
 * per handler, and credentials go straight to AuthService.authenticate (no Passport round, no strategy objects).
 */
@Injectable()
export class GlobalAuthGuard implements CanActivate {
  /** Controller class → handler → its requirement (a handler inherited by two controllers may differ by class). */
  private readonly requirements = new WeakMap<object, Map<object, AuthRequirement>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  /**
   * Synchronous when the caller is known without a lookup (a verified JWT of a cached user, most requests): Nest
   * takes a boolean from a guard as it is, so such a request makes no promise here; a refusal then throws at once.
   */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const requirement = this.requirementOf(context);
    const request = context.switchToHttp().getRequest<CallerRequest>();
    const authorization = request.headers.authorization;
    if (requirement.public && !(requirement.optional && authorization !== undefined)) return true;
    const user = this.auth.authenticate(authorization);
    return user instanceof Promise
      ? user.then((u) => admit(request, requirement, u))
      : admit(request, requirement, user);
  }

  private requirementOf(context: ExecutionContext): AuthRequirement {
    const cls = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.requirements.get(cls);
    if (!byHandler) {
      byHandler = new Map();
      this.requirements.set(cls, byHandler);
    }
    let requirement = byHandler.get(handler);
    if (requirement === undefined) {
      requirement = this.reflector.getAllAndOverride<AuthRequirement | undefined>(AUTH_METADATA, [handler, cls]) ?? {};
      byHandler.set(handler, requirement);
    }
    return requirement;
  }
}
