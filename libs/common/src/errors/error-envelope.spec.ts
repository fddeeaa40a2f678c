import { BadRequestException, ForbiddenException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { AppError } from './app-error.js';
import { ERROR_CODES, ERROR_STATUS } from './error-codes.js';
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
    const big = toErrorEnvelope(new PayloadTooLargeException(), 'r').body;
    expect([big.code, big.status]).toEqual(['LIMIT_EXCEEDED', 422]);
  });

  it('maps Fastify client errors by their statusCode', () => {
    const err = Object.assign(new Error('Body is too large'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
    expect(toErrorEnvelope(err, 'r').body).toMatchObject({ code: 'LIMIT_EXCEEDED', status: 422 });
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
