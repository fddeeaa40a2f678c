import { applyDecorators, Controller, Get, HttpCode, Post, type Type } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated, Public } from '../auth/authenticated.decorator.js';
import type { PlatformRole } from '../auth/roles.js';
import type { ErrorKind } from '../errors/named-error.js';
import { ApiErrors } from '../openapi/api-error-responses.decorator.js';
import { PaginatedList } from '../pagination/pagination.interceptor.js';

/** Who may call a controller's routes, declared once on the class (a route may still narrow it). */
export type ControllerAccess =
  /** Any authenticated caller (the default). */
  | 'authenticated'
  /** Anyone, without credentials. */
  | 'public'
  /** Nothing on the class: every route declares its own (`@Public()`, `@Authenticated()`), or the guard's default. */
  | 'per-route'
  /** Authenticated callers with one of these platform roles. */
  | { roles: PlatformRole[] };

/**
 * A controller of the API in one line: its route prefix, its tag in the OpenAPI document and who may call it.
 *
 *   @ApiController('registry', 'plugins')                        // authenticated
 *   @ApiController('admin', 'admin/audit', { roles: ['admin'] })
 */
export function ApiController(tag: string, path?: string, access: ControllerAccess = 'authenticated') {
  const decorators: ClassDecorator[] = [ApiTags(tag), path === undefined ? Controller() : Controller(path)];
  if (access === 'authenticated') decorators.push(Authenticated());
  else if (access === 'public') decorators.push(Public());
  else if (access !== 'per-route') decorators.push(Authenticated({ roles: access.roles }));
  return applyDecorators(...decorators);
}

export interface EndpointOptions {
  /** One line: what the operation does. */
  summary: string;
  /** What a client needs to know beyond the summary; the `details.reason` list of `errors` is appended to it. */
  description?: string;
  /** The named errors the operation can answer: their statuses become error responses, their reasons documented. */
  errors?: readonly ErrorKind[];
  /** Only where the derived operationId (InvenTree's, from the path) would clash or mislead. */
  operationId?: string;
}

/**
 * Documents one operation: summary, description and the named errors it can answer, from the same classes the
 * service throws. Success responses stay where the Swagger CLI plugin sees them: the return type gives the body,
 * `@HttpCode` on the handler gives a non-default status, and an `@ApiOkResponse`/`@ApiCreatedResponse` written on
 * the handler itself documents an operation with more than one success status. (Folded in here they would hide
 * from the plugin, which then adds its own default response beside them: a spurious 201 on a POST.)
 *
 *   @Post(':plugin/enable')
 *   @HttpCode(200)
 *   @Endpoint({ summary: 'Enable a plugin', description: '…', errors: [NotInstalledError, PluginKilledError] })
 *   enable(…): Promise<InstallationResponseDto> { … }
 */
export function Endpoint({ errors = [], ...operationOptions }: EndpointOptions): MethodDecorator {
  const operation = ApiOperation(operationOptions);
  return errors.length ? applyDecorators(ApiErrors(...errors), operation) : operation;
}

/**
 * A POST that acts on something that exists and answers 200 (enable, restart, validate, …): `@Post(path)`,
 * `@HttpCode(200)` and `@Endpoint(options)` in one. Unlike a POST that creates, this folds safely: the CLI plugin,
 * seeing neither `@Post` nor `@HttpCode`, documents the 200 the handler answers.
 *
 *   @PostAction(':plugin/enable', { summary: 'Enable a plugin', errors: [NotInstalledError] })
 */
export function PostAction(path: string, options: EndpointOptions): MethodDecorator {
  return applyDecorators(Endpoint(options), HttpCode(200), Post(path));
}

/**
 * A paginated list: `@Get(path)`, `@Endpoint(options)` and `@PaginatedList(item)` in one (`path` defaults to the
 * controller's own). The handler returns a `Slice` of `item` and takes its window with `@Paging()`.
 *
 *   @ListRoute(PluginResponseDto, { summary: 'Browse the catalog', description: '…' })
 *   @ListRoute(InstallationBackupDto, { path: ':plugin/backups', summary: 'List the backups of a plugin' })
 */
export function ListRoute(item: Type, { path, ...options }: EndpointOptions & { path?: string }): MethodDecorator {
  return applyDecorators(PaginatedList(item), Endpoint(options), Get(path));
}
