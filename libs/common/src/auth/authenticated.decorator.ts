import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { PlatformRole } from './roles.js';

export const AUTH_METADATA = 'plughub:auth';
/** Carries the same requirement into the OpenAPI document; read by `openApiSecurity`, then removed. */
export const AUTH_EXTENSION = 'x-plughub-auth';

export interface AuthRequirement {
  /** No credentials needed (token issuance, health, version). */
  public?: boolean;
  /** Public, but takes HTTP Basic credentials (the token endpoint only). */
  basicAuth?: boolean;
  /** The caller needs at least one of these platform roles (admin always passes). */
  roles?: PlatformRole[];
  /** Public, but credentials given are checked and the caller is known (the handler decides what anonymous gets). */
  optional?: boolean;
}

/**
 * Declares a route's access rule; the global guard enforces it and the OpenAPI document describes it, both from
 * this one declaration. Routes without it are still authenticated: the global guard is secure by default.
 */
export function Authenticated(requirement: Pick<AuthRequirement, 'roles'> = {}) {
  return applyDecorators(SetMetadata(AUTH_METADATA, requirement), ApiExtension(AUTH_EXTENSION, requirement));
}

/** A route anyone may call; `basicAuth` documents that it accepts HTTP Basic credentials. */
export function Public(options: Pick<AuthRequirement, 'basicAuth'> = {}) {
  const requirement: AuthRequirement = { public: true, ...options };
  return applyDecorators(SetMetadata(AUTH_METADATA, requirement), ApiExtension(AUTH_EXTENSION, requirement));
}

/**
 * A route anyone may call that still reads credentials when they are sent: the caller is authenticated as usual
 * (bad credentials are 401), and a request without any reaches the handler with no caller.
 */
export function OptionallyAuthenticated() {
  const requirement: AuthRequirement = { public: true, optional: true };
  return applyDecorators(SetMetadata(AUTH_METADATA, requirement), ApiExtension(AUTH_EXTENSION, requirement));
}

export interface OpenApiSecurity {
  security: Array<Record<string, string[]>>;
  /** The operation can answer 401 (it reads credentials). */
  unauthenticated: boolean;
  /** The operation can answer 403 (it checks what the caller may do). */
  forbidden: boolean;
  requiredRoles: PlatformRole[];
}

/**
 * The one place that decides what an operation's `security` is in the contract, from its requirement (missing:
 * authenticated, as the guard treats it).
 */
export function openApiSecurity(requirement: AuthRequirement | undefined): OpenApiSecurity {
  const r = requirement ?? {};
  if (r.public && r.basicAuth) {
    // HTTP Basic, or no scheme at all: the credentials may come in the JSON body instead.
    return { security: [{ basicAuth: [] }, {}], unauthenticated: true, forbidden: false, requiredRoles: [] };
  }
  if (r.public && r.optional) {
    return {
      security: [{}, { bearerAuth: [] }, { tokenAuth: [] }],
      unauthenticated: true,
      forbidden: true,
      requiredRoles: [],
    };
  }
  if (r.public) return { security: [], unauthenticated: false, forbidden: false, requiredRoles: [] };
  return {
    security: [{ bearerAuth: [] }, { tokenAuth: [] }],
    unauthenticated: true,
    forbidden: true,
    requiredRoles: r.roles ?? [],
  };
}

/** The authenticated caller (`AuthUser`), injected into a handler parameter. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext) => {
  return ctx.switchToHttp().getRequest<{ user?: unknown }>().user;
});
