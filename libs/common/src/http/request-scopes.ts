import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';

/**
 * Request-scoped work around a route's handler (an AsyncLocalStorage the handler and everything it awaits runs in):
 * call `next` once, from inside the scope. `reply.raw` tells when the response closes (ResponseStorage).
 */
export type RequestScope = (request: FastifyRequest, next: () => void, reply: FastifyReply) => void;

interface Scopes {
  list: RequestScope[];
  /** Set when the routes the scopes apply to were chosen as they were registered (installRequestScopes). */
  routed: boolean;
}

const scopesOf = new WeakMap<FastifyInstance, Scopes>();

/**
 * Chooses, as each route is registered, whether request scopes apply to it (`applies` gets the route's methods and
 * URL template): only those routes get a preHandler, so every other route runs without one, and without the
 * scopes' work. Call it on the adapter before any route exists (createAdapter); scopes added later with
 * addRequestScope (a provider's onModuleInit) still apply, to the chosen routes.
 */
export function installRequestScopes(
  fastify: FastifyInstance,
  applies: (methods: readonly string[], url: string) => boolean,
): void {
  const scopes: Scopes = { list: [], routed: true };
  scopesOf.set(fastify, scopes);
  const enter = (index: number, request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (index === scopes.list.length) done();
    else scopes.list[index](request, () => enter(index + 1, request, reply, done), reply);
  };
  fastify.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!applies(methods, route.url)) return;
    const own =
      route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [(request, reply, done) => enter(0, request, reply, () => done()), ...own];
  });
}

/**
 * Runs `scope` around the handler of every request to a route the app chose (installRequestScopes); on a server
 * that chose none, around every request's handler (a global preHandler).
 */
export function addRequestScope(fastify: FastifyInstance, scope: RequestScope): void {
  const scopes = scopesOf.get(fastify);
  if (scopes?.routed) {
    scopes.list.push(scope);
    return;
  }
  fastify.addHook('preHandler', (request, reply, done) => scope(request, () => done(), reply));
}
