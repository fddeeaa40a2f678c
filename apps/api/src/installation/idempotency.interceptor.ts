import { createHash } from 'node:crypto';
import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  UseInterceptors,
  applyDecorators,
} from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { AppError, type AuthUser, Clock, toErrorEnvelope, validationError } from '@app/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { InstallationConfig } from '../config/app-config.js';
import { INSTALLATION_CONFIG } from '../config/config.module.js';
import { IdempotencyKeyInProgressError, IdempotencyKeyReusedError } from './installation.errors.js';
import { IdempotencyRepository } from './persistence/operation.repository.js';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
const KEY = /^[\x21-\x7e]{1,255}$/;
/** How long a first request holds its key before a retry may take over (its node may have died). */
const LEASE_MS = 2 * 60 * 1000;

/** JSON with sorted keys, so the same body always has the same fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * `Idempotency-Key` on the multi-step operations: the first answer to a key (per caller) is stored and replayed
 * to every retry with the same key for PLUGHUB_IDEMPOTENCY_TTL, marked `Idempotent-Replayed: true`; the same key
 * with a different request (method, route, query or body) is 409 `idempotency_key_reused`, and a retry while the
 * first one still runs is 409 `idempotency_key_in_progress`. Errors the API answers with are replayed too;
 * unexpected failures release the key, so a retry runs again.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly keys: IdempotencyRepository,
    @Inject(INSTALLATION_CONFIG) private readonly config: InstallationConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest & { user?: AuthUser }>();
    const header = request.headers[IDEMPOTENCY_HEADER];
    if (header === undefined) return next.handle();
    return from(this.run(request, http.getResponse<FastifyReply>(), header, next));
  }

  private async run(
    request: FastifyRequest & { user?: AuthUser },
    reply: FastifyReply,
    header: string | string[],
    next: CallHandler,
  ): Promise<unknown> {
    if (typeof header !== 'string' || !KEY.test(header)) {
      throw validationError([{ field: 'Idempotency-Key', message: 'must be 1-255 visible ASCII characters' }]);
    }
    const callerId = request.user?.id ?? 'anonymous';
    const id = createHash('sha256').update(`${callerId}\n${header}`).digest('hex');
    const fingerprint = createHash('sha256')
      .update(`${request.method}\n${request.url}\n${canonical(request.body ?? null)}`)
      .digest('hex');
    const ttlMs = this.config.idempotencyTtlSeconds * 1000;
    const now = this.clock.now();
    const claim = await this.keys.claim(id, callerId, fingerprint, now, LEASE_MS, ttlMs);
    switch (claim.kind) {
      case 'mismatch':
        throw new IdempotencyKeyReusedError();
      case 'in_progress':
        throw new IdempotencyKeyInProgressError();
      case 'replay': {
        void reply.status(claim.answer.status).header(REPLAYED_HEADER, 'true');
        const body = claim.answer.body as Record<string, unknown> | null;
        // An error envelope names the request that answers it.
        if (body && typeof body === 'object' && 'request_id' in body)
          return { ...body, request_id: String(request.id) };
        return body;
      }
      case 'claimed':
        break;
    }
    const expiresAt = new Date(this.clock.now().getTime() + ttlMs);
    try {
      const body: unknown = await lastValueFrom(next.handle(), { defaultValue: undefined });
      await this.keys.complete(id, { status: reply.statusCode, body: body ?? null }, expiresAt);
      return body;
    } catch (err) {
      if (err instanceof AppError) {
        const { body } = toErrorEnvelope(err, String(request.id));
        await this.keys.complete(id, { status: body.status, body }, expiresAt);
      } else {
        await this.keys.release(id);
      }
      throw err;
    }
  }
}

/** Marks a multi-step operation as taking `Idempotency-Key` (interceptor and contract, from one declaration). */
export function Idempotent() {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'A key of your choosing (1-255 visible ASCII characters): a retry with the same key gets the first ' +
        'answer again (header `Idempotent-Replayed: true`); the same key with a different request is 409 ' +
        '`idempotency_key_reused`.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]{1,255}$' },
    }),
  );
}
