import { AsyncLocalStorage } from 'node:async_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { addRequestScope, installRequestScopes } from './request-scopes.js';

const storage = new AsyncLocalStorage<string>();

/** A handler that awaits before reading the store, as a handler awaiting the database would. */
async function storeAfterAwait(): Promise<{ store: string | null }> {
  await new Promise((resolve) => setImmediate(resolve));
  return { store: storage.getStore() ?? null };
}

describe('request scopes', () => {
  let fastify: FastifyInstance;

  afterEach(() => fastify.close());

  it('run around the handlers of the chosen routes only, added after the routes', async () => {
    fastify = Fastify();
    const chosen: string[] = [];
    installRequestScopes(fastify, (methods, url) => {
      chosen.push(`${methods.join()} ${url}`);
      return url !== '/fast';
    });
    fastify.get('/fast', storeAfterAwait);
    fastify.post('/calls-plugins', storeAfterAwait);
    fastify.route({ method: ['GET', 'POST'], url: '/both', handler: storeAfterAwait });
    let entered = 0;
    addRequestScope(fastify, (request, next) => {
      entered++;
      storage.run(`scope of ${request.url}`, next);
    });

    expect((await fastify.inject({ method: 'GET', url: '/fast' })).json()).toEqual({ store: null });
    expect((await fastify.inject({ method: 'POST', url: '/calls-plugins' })).json()).toEqual({
      store: 'scope of /calls-plugins',
    });
    expect((await fastify.inject({ method: 'GET', url: '/both' })).json()).toEqual({ store: 'scope of /both' });
    expect(entered).toBe(2);
    expect(chosen).toContain('GET /fast');
    expect(chosen).toContain('GET,POST /both');
  });

  it("keep a route's own preHandlers, after the scopes", async () => {
    fastify = Fastify();
    installRequestScopes(fastify, () => true);
    fastify.get(
      '/own',
      {
        preHandler: (request, _reply, done) => {
          (request as { seen?: string | null }).seen = storage.getStore() ?? null;
          done();
        },
      },
      (request) => ({ seen: (request as { seen?: string | null }).seen }),
    );
    addRequestScope(fastify, (_request, next) => storage.run('outer', next));

    expect((await fastify.inject({ method: 'GET', url: '/own' })).json()).toEqual({ seen: 'outer' });
  });

  it('nest several scopes, in the order they were added, and pass through when none is added', async () => {
    fastify = Fastify();
    installRequestScopes(fastify, () => true);
    fastify.get('/nested', storeAfterAwait);
    const order: string[] = [];
    await fastify.ready();
    expect((await fastify.inject({ method: 'GET', url: '/nested' })).json()).toEqual({ store: null });

    const other = Fastify();
    installRequestScopes(other, () => true);
    other.get('/nested', storeAfterAwait);
    addRequestScope(other, (_request, next) => {
      order.push('first');
      storage.run('first', next);
    });
    addRequestScope(other, (_request, next) => {
      order.push(`second inside ${storage.getStore()}`);
      storage.run('second', next);
    });
    expect((await other.inject({ method: 'GET', url: '/nested' })).json()).toEqual({ store: 'second' });
    expect(order).toEqual(['first', 'second inside first']);
    await other.close();
  });

  it('apply to every route of a server that chose none', async () => {
    fastify = Fastify();
    fastify.get('/any', storeAfterAwait);
    addRequestScope(fastify, (_request, next) => storage.run('everywhere', next));

    expect((await fastify.inject({ method: 'GET', url: '/any' })).json()).toEqual({ store: 'everywhere' });
  });
});
