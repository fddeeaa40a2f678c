import {
  applyDecorators,
  Body,
  createParamDecorator,
  Delete,
  type ExecutionContext,
  Get,
  Patch,
  Post,
  Put,
  RequestMethod,
  Res,
} from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants.js';
import { ApiBody, ApiDefaultResponse, ApiOkResponse, ApiParam } from '@nestjs/swagger';
import {
  ApiController,
  Authenticated,
  CurrentUser,
  Endpoint,
  OptionallyAuthenticated,
  PostAction,
  Twin,
} from '@app/common';
import { PluginKeyParam } from '@app/common';
import type { AuthUser } from '@app/common';
import { MAX_REQUEST_PATH_LENGTH } from '@app/plugin-sdk';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NotInstalledError, PluginKilledError } from '../installation/installation.errors.js';
import { ExecutePluginDto, ExecuteResultDto } from './dto/execute.dto.js';
import { PublicEndpointsDto, SetPublicEndpointsDto } from './dto/public-endpoints.dto.js';
import {
  EndpointMethodNotAllowedError,
  EndpointNotFoundError,
  NoGlobalInstallationError,
  PLUGIN_CALL_ERRORS,
  PluginInactiveError,
  PublicEndpointsNotAllowedError,
  RESPONSE_ERRORS,
} from './plugin-endpoints.errors.js';
import { type EndpointCall, PluginEndpointsService } from './plugin-endpoints.service.js';

const ROUTE = ':plugin/endpoints/*';
const MARKER = '/endpoints/';

/**
 * The part of the URL below `/api/plugins/{plugin}/endpoints/`, without the query string, percent-encoded as sent
 * but for `%2F`, read as the `/` it stands for: clients generated from the contract encode the whole `{path}`
 * parameter, slashes included. A route parameter's value therefore never contains a `/`. The one trailing slash
 * of the contract's form (`…/{path}/`) is dropped.
 */
function endpointPathOf(url: string): string {
  const end = url.indexOf('?');
  const pathname = end === -1 ? url : url.slice(0, end);
  const start = pathname.indexOf(MARKER);
  return start === -1
    ? ''
    : pathname
        .slice(start + MARKER.length)
        .replace(/%2f/gi, '/')
        .replace(/\/$/, '');
}

const ENDPOINT_ERRORS = [
  NotInstalledError,
  EndpointNotFoundError,
  EndpointMethodNotAllowedError,
  PublicEndpointsNotAllowedError,
  PluginKilledError,
  PluginInactiveError,
  ...PLUGIN_CALL_ERRORS,
  ...RESPONSE_ERRORS,
] as const;

const ANSWER = {
  description: "The plugin's answer, passed through: its status, allowed headers and body.",
  content: {
    'application/json': { schema: { description: 'Whatever JSON the plugin answered.' } },
    'text/plain': { schema: { type: 'string' as const } },
  },
};
const PATH_PARAM = ApiParam({
  name: 'path',
  description:
    'The route below `/endpoints/`, as the manifest declares it with its parameters filled in (`users/42`); ' +
    'segments are percent-decoded one by one. A `/` may be sent as `%2F` (as generated clients encode it): it ' +
    'separates segments either way.',
  schema: { type: 'string', maxLength: MAX_REQUEST_PATH_LENGTH, example: 'users/42' },
});
const REQUEST_BODY = ApiBody({
  required: false,
  description: 'Any JSON the route takes; handed to the plugin as `body`.',
  schema: { description: 'Any JSON value.', example: { name: 'Ada' } },
});

/** What a request to the generic operation asks of the plugin, but the validated `{plugin}` key. */
type EndpointRequest = Omit<EndpointCall, 'key'> & { caller: AuthUser | undefined };

/**
 * The request as the generic operation hands it on: the caller, the method the handler was declared for (so a
 * HEAD Fastify answers from the GET route is the plugin's GET), the `{path}` (documented here, once for the five
 * methods), the query, the headers and, but on GET, the JSON body.
 */
const EndpointRequestParam = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): EndpointRequest => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, ctx.getHandler()) as RequestMethod];
    return {
      caller: request.user,
      method,
      path: endpointPathOf(request.raw.url ?? ''),
      query: request.query as EndpointCall['query'],
      headers: request.headers,
      body: method === 'GET' ? undefined : request.body,
    };
  },
  [
    (target, key) => {
      if (key !== undefined) PATH_PARAM(target, key, Object.getOwnPropertyDescriptor(target, key)!);
    },
  ],
);

/**
 * What documents each of the five methods of the generic operation: optional credentials, one description, the
 * body (but on GET), the plugin's answer as the 200 and the default response, and the errors. The parameters
 * come from the handler's (see `EndpointRequestParam`). The 200 is folded in here, unlike elsewhere (see
 * `Endpoint`): four of the five handlers are twins the Swagger CLI plugin never sees, and what it would add to
 * `get` is a 200 as well.
 */
const endpointOperation = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') =>
  applyDecorators(
    OptionallyAuthenticated(),
    Endpoint({
      summary: `${method} a plugin's endpoint`,
      description:
        `Calls a route the plugin declares in its manifest's \`endpoints\` for ${method}, on its onRequest hook, and ` +
        'answers what the plugin answered: its status, its headers (from an allow-list: no Set-Cookie, no hop-by-hop ' +
        'headers, nothing the platform sets) and its body (JSON, or text when the plugin returned a string), ' +
        'with `Content-Security-Policy: sandbox` and `X-Content-Type-Options: nosniff` added, so that what a plugin ' +
        'serves never runs as a page of this origin. ' +
        'The plugin receives `{method, path, params, query, headers, body, user}`: the `:name` segments of the ' +
        'matched route as `params`, the headers without `authorization`, `cookie` and hop-by-hop ones, the JSON body ' +
        '(at most 64 KiB), and the caller (`id`, `name`, `roles`) or null. The installation serving you is the one ' +
        'of your effective set (your own, else an organisation’s, else the instance’s). Without credentials, only ' +
        'routes declared `public` of the instance’s installation are served, once an administrator allowed them ' +
        '(PUT …/public-endpoints/); everything else answers 401. Undeclared routes answer 404, declared ones under ' +
        'another method 405 with `Allow`. The call is bounded by the installation’s timeout_ms (408), and counted in ' +
        'its health, metrics, logs and usage like every hook. Errors are the platform’s envelope; the plugin’s own ' +
        'answers, errors included, are passed through as it gave them.',
      errors: ENDPOINT_ERRORS,
    }),
    ...(method === 'GET' ? [] : [REQUEST_BODY]),
    ApiDefaultResponse(ANSWER),
    ApiOkResponse(ANSWER),
  );

/**
 * Set on every answer a plugin gives, after its own headers: what a plugin serves (HTML with a script, say) is
 * never a page of the platform's origin, where it could read what Swagger UI keeps or call the API as the viewer.
 */
const CONTAINED = {
  'content-security-policy': 'sandbox',
  'x-content-type-options': 'nosniff',
} as const;

/**
 * The plugin surface (§4): the HTTP endpoints plugins serve, Execute, and the public-endpoints switch. The generic
 * operation is five operations of the contract (one per method) and one handler: `get`, and its twins.
 */
@ApiController('plugin-endpoints', 'plugins', 'per-route')
@Twin('post', 'get', Post(ROUTE), endpointOperation('POST'))
@Twin('put', 'get', Put(ROUTE), endpointOperation('PUT'))
@Twin('patch', 'get', Patch(ROUTE), endpointOperation('PATCH'))
@Twin('delete', 'get', Delete(ROUTE), endpointOperation('DELETE'))
export class PluginEndpointsController {
  constructor(private readonly endpoints: PluginEndpointsService) {}

  @Get(ROUTE)
  @endpointOperation('GET')
  async get(
    @EndpointRequestParam() { caller, ...call }: EndpointRequest,
    @PluginKeyParam() key: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const answer = await this.endpoints.request(caller, { key, ...call });
    void reply.status(answer.status);
    for (const [name, value] of Object.entries(answer.headers)) void reply.header(name, value);
    for (const [name, value] of Object.entries(CONTAINED)) void reply.header(name, value);
    return answer.body;
  }

  @PostAction(':plugin/execute', {
    summary: 'Execute: process data with a plugin',
    description:
      "Seed 002's Execute step: hands `data` to the plugin's onProcess(data) and answers what it returned, with " +
      'the time the call took. The installation serving you is the one of your effective set (your own, else an ' +
      'organisation’s, else the instance’s); it needs the `process:data` or `messages:receive` grant (403 ' +
      'PLUGIN_PERMISSION_DENIED). `timeout_seconds` can only shorten the installation’s timeout_ms (408 when it ' +
      'runs out). The call is counted in the installation’s health, metrics, logs and usage.',
    errors: [NotInstalledError, PluginKilledError, PluginInactiveError, ...PLUGIN_CALL_ERRORS],
  })
  @Authenticated()
  @ApiOkResponse({ type: ExecuteResultDto })
  execute(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: ExecutePluginDto,
  ): Promise<ExecuteResultDto> {
    return this.endpoints.execute(caller, key, dto.data, dto.timeout_seconds);
  }

  @Put(':plugin/public-endpoints')
  @Authenticated({ roles: ['admin'] })
  @ApiOkResponse({ type: PublicEndpointsDto })
  @Endpoint({
    summary: 'Allow or refuse public endpoints',
    description:
      'Platform admins: whether callers without credentials may reach the endpoints the plugin declares `public`, ' +
      'on the instance’s (global) installation, the one such callers are served by. Off until set; removing the ' +
      'installation removes the switch.',
    errors: [NoGlobalInstallationError],
  })
  setPublic(
    @CurrentUser() caller: AuthUser,
    @PluginKeyParam() key: string,
    @Body() dto: SetPublicEndpointsDto,
  ): Promise<PublicEndpointsDto> {
    return this.endpoints.setPublic(caller, key, dto.allowed);
  }
}
