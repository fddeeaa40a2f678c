import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { requestOrigin } from '../pagination/paginated.js';

/** `proto://host` the client used (X-Forwarded-* from trusted proxies only), for handlers that answer absolute URLs. */
export const RequestOrigin = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  requestOrigin(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
