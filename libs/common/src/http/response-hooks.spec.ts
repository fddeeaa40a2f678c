import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { onEveryResponse } from './response-hooks.js';

describe('onEveryResponse', () => {
  it('runs every listener after each reply, in order, from one onResponse hook', async () => {
    const fastify = Fastify();
    const seen: string[] = [];
    const addHook = vi.spyOn(fastify, 'addHook');
    onEveryResponse(fastify, (req, reply) => seen.push(`log ${req.url} ${reply.statusCode}`));
    onEveryResponse(fastify, (req) => seen.push(`metrics ${req.routeOptions.url ?? 'unmatched'}`));
    onEveryResponse(fastify, () => seen.push('audit'));
    fastify.get('/things/:id', () => ({ ok: true }));

    await fastify.inject({ method: 'GET', url: '/things/7' });
    await fastify.inject({ method: 'GET', url: '/nowhere' });

    expect(addHook.mock.calls.filter(([name]) => name === 'onResponse')).toHaveLength(1);
    expect(seen).toEqual([
      'log /things/7 200',
      'metrics /things/:id',
      'audit',
      'log /nowhere 404',
      'metrics unmatched',
      'audit',
    ]);
    await fastify.close();
  });

  it('keeps running the listeners after one that throws, and hands its error to Fastify', async () => {
    const errors: unknown[] = [];
    const fastify = Fastify({
      logger: { level: 'error', stream: { write: (line: string) => errors.push(JSON.parse(line)) } },
    });
    const seen: string[] = [];
    onEveryResponse(fastify, () => {
      throw new Error('listener failed');
    });
    onEveryResponse(fastify, () => seen.push('after'));
    fastify.get('/', () => 'ok');

    const res = await fastify.inject({ method: 'GET', url: '/' });

    expect(res.statusCode).toBe(200);
    expect(seen).toEqual(['after']);
    expect(errors).toHaveLength(1);
    await fastify.close();
  });

  it('keeps the listeners of two servers apart', async () => {
    const a = Fastify();
    const b = Fastify();
    const seen: string[] = [];
    onEveryResponse(a, () => seen.push('a'));
    onEveryResponse(b, () => seen.push('b'));
    a.get('/', () => 'ok');
    b.get('/', () => 'ok');

    await a.inject({ method: 'GET', url: '/' });
    await b.inject({ method: 'GET', url: '/' });
    await a.inject({ method: 'GET', url: '/' });

    expect(seen).toEqual(['a', 'b', 'a']);
    await Promise.all([a.close(), b.close()]);
  });
});
