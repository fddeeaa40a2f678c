import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Work done once a reply is sent (the access log, the HTTP metrics, the audit entry): synchronous and quick. */
export type ResponseListener = (request: FastifyRequest, reply: FastifyReply) => void;

const listenersOf = new WeakMap<FastifyInstance, ResponseListener[]>();

/**
 * Runs `listener` after every reply `fastify` sends, in the order listeners were added. All of them share one
 * Fastify onResponse hook: each hook Fastify runs costs its own round through the hook runner and a `done`
 * callback per request, and the access log, the metrics and the audit would otherwise be three.
 *
 * A listener that throws does not keep the ones after it from running; the first error goes to Fastify's
 * onResponse error handling, as a throwing hook's would. Add listeners before the server listens (createAdapter,
 * a provider's onModuleInit), like any Fastify hook.
 */
export function onEveryResponse(fastify: FastifyInstance, listener: ResponseListener): void {
  const known = listenersOf.get(fastify);
  if (known) {
    known.push(listener);
    return;
  }
  const listeners: ResponseListener[] = [listener];
  listenersOf.set(fastify, listeners);
  fastify.addHook('onResponse', (request, reply, done) => {
    let failure: Error | undefined;
    for (const run of listeners) {
      try {
        run(request, reply);
      } catch (err) {
        failure ??= err instanceof Error ? err : new Error(String(err));
      }
    }
    done(failure);
  });
}
