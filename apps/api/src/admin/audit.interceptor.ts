import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { AppError, type AuthUser, Clock, JsonLogger, onEveryResponse } from '@app/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { REPLAYED_HEADER } from '../installation/idempotency.interceptor.js';
import type { AuditActorInfo, AuditOutcome, AuditRecord } from './admin.entity.js';
import { AuditActions } from './audit-actions.js';
import { AuditLog } from './audit-log.js';
import { type AuditNote, AuditNotes } from './audit-notes.js';
import { redact } from './redact.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const CAPTURE = Symbol('plughub.audit');

interface Capture {
  at: Date;
  note: AuditNote;
  body?: unknown;
  error?: { code: string; reason?: string };
}

type AuditedRequest = FastifyRequest & { user?: AuthUser; [CAPTURE]?: Capture };

/**
 * The audit log's one interceptor, on every POST, PUT, PATCH and DELETE handler (AdminModule puts it there with
 * interceptRoutes; reads carry no interceptor at all): every such request that reaches a handler leaves one
 * entry, whatever its outcome. The interceptor only notes the answer (or the error) and opens the request's
 * `AuditNotes`; the entry is built and queued once the reply is sent (a listener of the app's one onResponse hook,
 * onEveryResponse), when the final status is known, so auditing adds no database round trip to a request and
 * never makes one fail.
 *
 * Requests a guard turns away never reach an interceptor (Nest runs guards first), so the same listener also
 * records the 401s and 403s of mutating routes that were not captured here.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor, OnModuleInit {
  private readonly logger: JsonLogger;

  constructor(
    private readonly log: AuditLog,
    private readonly actions: AuditActions,
    private readonly notes: AuditNotes,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('AuditInterceptor');
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    onEveryResponse(fastify, (request, reply) => {
      try {
        this.recordResponse(request, reply);
      } catch (err) {
        this.logger.error('audit entry not recorded', { request_id: request.id, error: (err as Error).message });
      }
    });
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const request = context.switchToHttp().getRequest<AuditedRequest>();
    if (!MUTATING.has(request.method)) return next.handle();
    const capture: Capture = { at: this.clock.now(), note: { secrets: new Set() } };
    request[CAPTURE] = capture;
    return new Observable((subscriber) =>
      this.notes.run(context.switchToHttp().getResponse<FastifyReply>().raw, capture.note, () =>
        next
          .handle()
          .pipe(
            tap({
              next: (body) => {
                capture.body = body;
              },
              error: (err: unknown) => {
                const reason = err instanceof AppError ? err.details.reason : undefined;
                capture.error = {
                  code: err instanceof AppError ? err.code : 'INTERNAL',
                  ...(typeof reason === 'string' ? { reason } : {}),
                };
              },
            }),
          )
          .subscribe(subscriber),
      ),
    );
  }

  private recordResponse(request: AuditedRequest, reply: FastifyReply): void {
    if (!MUTATING.has(request.method)) return;
    const capture = request[CAPTURE];
    const status = reply.statusCode;
    if (!capture && status !== 401 && status !== 403) return; // never reached a handler, not a denial
    // Set by the idempotency interceptor on an answer replayed from the stored first one, which was recorded then.
    if (reply.getHeader(REPLAYED_HEADER) === 'true') return;
    const route = request.routeOptions?.url;
    if (!route) return;
    const action = this.actions.of(request.method, route) ?? `${request.method} ${route}`;
    const note = capture?.note ?? { secrets: new Set<string>() };
    const org = note.org ?? orgOf(request);
    this.log.append({
      org,
      build: () => this.build(request, status, action, capture, note),
    });
  }

  private build(
    request: AuditedRequest,
    status: number,
    action: string,
    capture: Capture | undefined,
    note: AuditNote,
  ): AuditRecord {
    const options = { secretValues: note.secrets, secretFields: note.secretFields };
    const params = (request.params ?? {}) as Record<string, string>;
    const route = request.routeOptions?.url ?? request.url;
    const target = targetOf(route, params, status < 400 ? capture?.body : undefined);
    const outcome: AuditOutcome = status === 401 || status === 403 ? 'denied' : status >= 400 ? 'failure' : 'success';
    const details: Record<string, unknown> = {};
    if (Object.keys(params).length) details.params = redact(params, options);
    if (request.body !== undefined && request.body !== null) details.request = redact(request.body, options);
    const query = request.query as Record<string, unknown> | undefined;
    if (query && Object.keys(query).length) details.query = redact(query, options);
    if (capture?.error) details.error = capture.error;
    const ua = request.headers['user-agent'];
    return {
      at: capture?.at ?? this.clock.now(),
      action,
      actor: actorOf(request),
      target,
      orgId: null,
      outcome,
      status,
      method: request.method,
      path: request.url.split('?')[0].slice(0, 500),
      requestId: String(request.id),
      ip: request.ip ?? null,
      userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null,
      before: note.before === undefined ? null : redact(note.before, options),
      after: status < 400 && capture?.body !== undefined ? redact(capture.body, options) : null,
      details,
    };
  }
}

function actorOf(request: AuditedRequest): AuditActorInfo {
  const user = request.user;
  if (user?.id) {
    return {
      kind: 'user',
      userId: user.id,
      roles: [...user.roles],
      tokenId: user.tokenId ?? null,
      component: null,
      claimed: null,
    };
  }
  // A login or sign-up: who the caller said they were (the email), never what they proved it with.
  const body = request.body as { email?: unknown } | null | undefined;
  const claimed = typeof body?.email === 'string' ? body.email.slice(0, 320) : null;
  return { kind: 'anonymous', userId: null, roles: [], tokenId: null, component: null, claimed };
}

/**
 * The target: the first path parameter and the segment naming it (`/api/plugins/:plugin/install` → plugins,
 * the key); for a route without parameters, its first segment and the id, key or slug of what it created.
 */
function targetOf(route: string, params: Record<string, string>, body: unknown): AuditRecord['target'] {
  const segments = route
    .replace(/^\/api\//, '')
    .split('/')
    .filter(Boolean);
  const first = segments.findIndex((s) => s.startsWith(':'));
  if (first > 0) {
    return { type: segments[first - 1], id: String(params[segments[first].slice(1)] ?? '').slice(0, 300) || null };
  }
  const created = body as { id?: unknown; key?: unknown; slug?: unknown } | null | undefined;
  const id = [created?.id, created?.key, created?.slug].find((v): v is string => typeof v === 'string');
  return { type: segments[0] ?? 'api', id: id && !id.startsWith('phk_') ? id : null };
}

/** The organisation a request names: `{org}` in the path or `org` in the query. */
function orgOf(request: AuditedRequest): string | null {
  const params = request.params as Record<string, unknown> | undefined;
  const query = request.query as Record<string, unknown> | undefined;
  const org = params?.org ?? query?.org;
  return typeof org === 'string' && org.length <= 100 ? org : null;
}
