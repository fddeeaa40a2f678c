import {
  BadRequestException,
  ForbiddenException,
  HttpException,
  MethodNotAllowedException,
  NotFoundException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { ERROR_CODES, ERROR_STATUS, type ErrorCode } from './error-codes.js';
import { toErrorEnvelope } from './error-envelope.js';

describe('toErrorEnvelope', () => {
  it('keeps an AppError as it is, with the status its code implies', () => {
    for (const code of ERROR_CODES) {
      const { body, internal } = toErrorEnvelope(
        new AppError(code, 'msg', [{ field: 'a.b', message: 'bad' }], { x: 1 }),
        'r1',
      );
      expect(body).toEqual({
        code,
        message: 'msg',
        status: ERROR_STATUS[code],
        errors: [{ field: 'a.b', message: 'bad' }],
        details: { x: 1 },
        request_id: 'r1',
      });
      expect(internal).toBe(false);
    }
  });

  it('maps framework HTTP exceptions onto catalogue codes', () => {
    expect(toErrorEnvelope(new NotFoundException('Cannot GET /x'), 'r').body.code).toBe('NOT_FOUND');
    expect(toErrorEnvelope(new ForbiddenException(), 'r').body.code).toBe('FORBIDDEN');
    expect(toErrorEnvelope(new BadRequestException('bad'), 'r').body.code).toBe('VALIDATION_ERROR');
    expect(toErrorEnvelope(new MethodNotAllowedException(), 'r').body).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      status: 405,
    });
    expect(toErrorEnvelope(new UnsupportedMediaTypeException(), 'r').body).toMatchObject({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      status: 415,
    });
    const big = toErrorEnvelope(new PayloadTooLargeException(), 'r').body;
    expect(big).toMatchObject({ code: 'VALIDATION_ERROR', status: 400, details: { reason: 'body_too_large' } });
  });

  const fastifyError = (code: string, statusCode: number) =>
    Object.assign(new Error(`Fastify says ${code} about /api/x`), { code, statusCode });

  it.each([
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'VALIDATION_ERROR', 'body_too_large'],
    ['FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400, 'VALIDATION_ERROR', 'malformed_body'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'UNSUPPORTED_MEDIA_TYPE', undefined],
    ['FST_ERR_BAD_URL', 400, 'VALIDATION_ERROR', 'malformed_url'],
    ['FST_ERR_MAX_PARAM_LENGTH', 414, 'URI_TOO_LONG', undefined],
    ['FST_ERR_SOMETHING_NEW', 405, 'METHOD_NOT_ALLOWED', undefined],
    ['FST_ERR_SOMETHING_NEW', 418, 'VALIDATION_ERROR', undefined],
  ])('maps Fastify error %s (%i) to %s, bare or wrapped by Nest', (fst, statusCode, code, reason) => {
    const raw = fastifyError(fst, statusCode);
    const wrapped = new HttpException(raw.message, statusCode, { cause: raw });
    for (const err of [raw, wrapped]) {
      const { body, internal } = toErrorEnvelope(err, 'r');
      expect(body).toMatchObject({ code, status: ERROR_STATUS[code as ErrorCode] });
      expect(body.details.reason).toBe(reason);
      expect(internal).toBe(false);
    }
    // Known framework errors get our own message, which never echoes the URL.
    if (!fst.endsWith('NEW')) expect(toErrorEnvelope(raw, 'r').body.message).not.toContain('/api/x');
  });

  it('keeps a 5xx framework error internal', () => {
    const { body, internal } = toErrorEnvelope(fastifyError('FST_ERR_HANDLER_TIMEOUT', 503), 'r');
    expect([body.code, internal]).toEqual(['INTERNAL', true]);
  });

  it('turns a duplicate-key error into CONFLICT naming the fields, without the server message', () => {
    const err = Object.assign(new Error('E11000 duplicate key error collection: users index: email_1'), {
      name: 'MongoServerError',
      code: 11000,
      keyValue: { email: 'a@b.c' },
    });
    const { body } = toErrorEnvelope(err, 'r');
    expect(body).toMatchObject({ code: 'CONFLICT', status: 409, details: { fields: ['email'] } });
    expect(JSON.stringify(body)).not.toContain('E11000');
  });

  it('never leaks the message or stack of an unexpected error', () => {
    const err = new TypeError("Cannot read properties of undefined (reading 'secret')");
    const { body, internal } = toErrorEnvelope(err, 'req-9');
    expect(internal).toBe(true);
    expect(body.code).toBe('INTERNAL');
    expect(body.status).toBe(500);
    expect(JSON.stringify(body)).not.toMatch(/secret|TypeError|at /);
    expect(body.message).toContain('request id');
  });
});
