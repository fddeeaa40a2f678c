import { Readable } from 'node:stream';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendError } from '../errors/all-exceptions.filter.js';
import { JsonLogger, LogOutput } from '../logging/json-logger.js';
import { BODY_PROFILE_CONFIG, DEFAULT_BODY_BYTES } from './body-limits.js';
import { hardenedFastifyOptions, installHttpGuards } from './http-guards.js';

const UPLOAD_BYTES = 256 * 1024;

describe('installHttpGuards', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    const logger = new JsonLogger(new LogOutput('silent'));
    const adapter = new FastifyAdapter({
      ...hardenedFastifyOptions(logger),
      routerOptions: { ignoreTrailingSlash: true },
    });
    installHttpGuards(adapter, { uploadBodyBytes: UPLOAD_BYTES, logger, requestIdHeader: 'x-request-id' });
    app = adapter.getInstance();
    // What Nest does with errors raised before a handler: the one envelope.
    app.setErrorHandler((err, request, reply) => sendError(err, request, reply, logger));
    app.get('/items', () => ({ ok: true }));
    app.post('/items', (request) => ({ body: request.body ?? null }));
    app.post('/upload', { config: { [BODY_PROFILE_CONFIG]: 'upload' } }, (request) => ({
      size: JSON.stringify(request.body).length,
    }));
    await app.ready();
  });
  afterAll(() => app.close());

  const post = (url: string, payload: string | Readable, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload, headers: { 'content-type': 'application/json', ...headers } });

  it('answers 405 with Allow for a path served under other methods, 404 for no path at all', async () => {
    const res = await app.inject({ method: 'DELETE', url: '/items/' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
    expect(res.json()).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      status: 405,
      details: { allow: ['GET', 'HEAD', 'POST'] },
    });
    expect((await app.inject({ method: 'DELETE', url: '/nothing' })).statusCode).toBe(404);
  });

  it('names the request id in the header given, on every answer: a handler’s, a 405, a 404, a 415', async () => {
    const answers = [
      await app.inject({ method: 'GET', url: '/items' }),
      await app.inject({ method: 'DELETE', url: '/items' }),
      await app.inject({ method: 'GET', url: '/nothing' }),
      await post('/items', 'a=1', { 'content-type': 'text/plain' }),
    ];
    expect(answers.map((res) => res.statusCode)).toEqual([200, 405, 404, 415]);
    const ids = answers.map((res) => res.headers['x-request-id']);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('takes JSON only (415 otherwise), and an empty JSON body as no body', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream']) {
      const res = await post('/items', 'a=1', { 'content-type': type });
      expect([res.statusCode, res.json<{ code: string }>().code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    expect((await post('/items', '')).json()).toEqual({ body: null });
    expect((await post('/items', '{"a":1}', { 'content-type': 'application/merge-patch+json' })).json()).toEqual({
      body: { a: 1 },
    });
  });

  it('reads JSON as UTF-8 only: another charset or any content coding is 415, with the reason', async () => {
    const refused = async (headers: Record<string, string>, payload: string | Buffer = '{"a":1}') => {
      const res = await app.inject({
        method: 'POST',
        url: '/items',
        payload,
        headers: { 'content-type': 'application/json', ...headers },
      });
      const body = res.json<{ code: string; details: { reason?: string } }>();
      return [res.statusCode, body.code, body.details.reason];
    };
    const utf16 = Buffer.from('\ufeff{"a":1}', 'utf16le');
    for (const type of ['application/json; charset=utf-16', 'application/json;charset="UTF-16LE"']) {
      expect(await refused({ 'content-type': type }, utf16)).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE', 'charset']);
    }
    expect(await refused({ 'content-type': 'application/merge-patch+json; charset=latin1' })).toEqual([
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'charset',
    ]);
    for (const coding of ['gzip', 'deflate', 'br', 'identity, gzip']) {
      expect(await refused({ 'content-encoding': coding })).toEqual([
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'content_encoding',
      ]);
    }
    const accepted: Array<Record<string, string>> = [
      { 'content-type': 'application/json; charset=utf-8' },
      { 'content-type': 'application/json; charset="UTF-8"' },
      { 'content-type': 'application/json; charset=us-ascii' },
      { 'content-type': 'application/merge-patch+json; charset=utf-8' },
      { 'content-encoding': 'identity' },
    ];
    for (const headers of accepted) {
      expect((await post('/items', '{"a":1}', headers)).json()).toEqual({ body: { a: 1 } });
    }
  });

  it('limits bodies to 64 KiB, except on upload routes, which get their own limit', async () => {
    const sized = (n: number) => JSON.stringify({ s: 'x'.repeat(n - 8) });
    expect((await post('/items', sized(DEFAULT_BODY_BYTES))).statusCode).toBe(200);
    const big = await post('/items', sized(DEFAULT_BODY_BYTES + 1));
    expect(big.json()).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, details: { reason: 'body_too_large' } });
    const auth = { authorization: 'Bearer x' };
    expect((await post('/upload', sized(UPLOAD_BYTES), auth)).statusCode).toBe(200);
    const over = await post('/upload', sized(UPLOAD_BYTES + 1), auth);
    expect(over.json()).toMatchObject({ code: 'LIMIT_EXCEEDED', status: 422, details: { reason: 'body_too_large' } });
  });

  it('never reads an upload from a caller without credentials', async () => {
    let read = false;
    const body = new Readable({
      read() {
        read = true;
        this.push('{}');
        this.push(null);
      },
    });
    const res = await post('/upload', body);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
    expect(read).toBe(false);
  });
});
