import { type NestInterceptor, RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { type DiscoveryService, MetadataScanner } from '@nestjs/core';

/** The methods that change something (ALL included: what it serves is only known per request). */
export const MUTATING_REQUEST_METHODS: ReadonlySet<RequestMethod> = new Set([
  RequestMethod.POST,
  RequestMethod.PUT,
  RequestMethod.PATCH,
  RequestMethod.DELETE,
  RequestMethod.ALL,
]);

/**
 * Puts `interceptor` outermost on the route handlers of every controller whose HTTP method `applies`: what a
 * global interceptor (APP_INTERCEPTOR) does, without its cost on the other routes. Nest wraps every handler that
 * has any interceptor in an rxjs chain, a ReplaySubject and async-context bindings, per request, even when the
 * interceptor only hands the request on; a route without interceptors is a plain function call.
 *
 * It writes the handlers' `@UseInterceptors` metadata, so it must run before the application registers its routes
 * (from a provider's factory or constructor; onModuleInit is too late). An instance of the same class put there by
 * an earlier application in this process (tests boot several) is replaced, never stacked. Answers how many
 * handlers it covers.
 */
export function interceptRoutes(
  discovery: DiscoveryService,
  interceptor: NestInterceptor,
  applies: (method: RequestMethod) => boolean,
): number {
  const scanner = new MetadataScanner();
  const kind = interceptor.constructor;
  let covered = 0;
  for (const wrapper of discovery.getControllers()) {
    const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
    if (!prototype) continue;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = (prototype as Record<string, unknown>)[name];
      if (typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
      if (!applies(Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod)) continue;
      const current = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
      const others = current.filter((i) => !(i instanceof kind));
      Reflect.defineMetadata(INTERCEPTORS_METADATA, [interceptor, ...others], handler);
      covered++;
    }
  }
  return covered;
}
