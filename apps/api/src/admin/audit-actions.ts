import { Injectable } from '@nestjs/common';
import { OpenApiDocumentHolder } from '../meta/openapi-document.holder.js';

/**
 * The action of an audited request: the operationId of its route in the contract the app serves (the same
 * document as GET /api/schema/, so there is one source). Keyed by method and the route's path as Fastify knows
 * it (`/api/plugins/:plugin/install`), which is the contract's path with `{}` parameters and no trailing slash.
 */
@Injectable()
export class AuditActions {
  private byRoute: Map<string, string> | null = null;

  constructor(private readonly holder: OpenApiDocumentHolder) {}

  of(method: string, routeUrl: string): string | null {
    const map = (this.byRoute ??= this.build());
    return map?.get(`${method.toLowerCase()} ${normalise(routeUrl)}`) ?? null;
  }

  private build(): Map<string, string> | null {
    const doc = this.holder.document as { paths?: Record<string, Record<string, { operationId?: string }>> } | null;
    if (!doc?.paths) {
      this.byRoute = null;
      return null;
    }
    const map = new Map<string, string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (op?.operationId) map.set(`${method} ${normalise(path)}`, op.operationId);
      }
    }
    return map;
  }
}

/**
 * `/api/plugins/{plugin}/` and `/api/plugins/:plugin` both become `/api/plugins/{}`; a trailing wildcard
 * (`/endpoints/*`, the contract's `{path}`) too.
 */
function normalise(path: string): string {
  return path
    .replace(/\{[^}]+\}/g, '{}')
    .replace(/:[A-Za-z0-9_]+/g, '{}')
    .replace(/\/\*$/, '/{}')
    .replace(/\/+$/, '');
}
