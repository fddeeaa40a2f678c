import { type ErrorKind, namedError } from '@app/common';

export class PluginInactiveError extends namedError(
  'CONFLICT',
  'inactive',
  'the installation serving you is not running (disabled, failed, starting, or switched off by a broader one)',
) {
  constructor(key: string, status: string) {
    super(`${key} is not running for you.`, { key, status });
  }
}

export class EndpointNotFoundError extends namedError(
  'NOT_FOUND',
  'endpoint_not_found',
  'the plugin declares no endpoint at this path',
) {
  constructor(key: string) {
    super(`${key} serves no endpoint at this path.`, { key });
  }
}

export class EndpointMethodNotAllowedError extends namedError(
  'METHOD_NOT_ALLOWED',
  'method_not_allowed',
  'the plugin declares this path for other methods only; `details.allow` and `Allow` list them',
) {
  constructor(
    key: string,
    readonly allow: string[],
  ) {
    super(`${key} serves this path for ${allow.join(', ')} only.`, { key, allow });
  }
}

export class PublicEndpointsNotAllowedError extends namedError(
  'UNAUTHENTICATED',
  'credentials_required',
  'the endpoint is not public, or an administrator has not allowed public endpoints for the instance’s installation',
) {
  constructor() {
    super('This endpoint needs credentials.');
  }
}

export class NoGlobalInstallationError extends namedError(
  'PLUGIN_NOT_FOUND',
  'not_installed',
  'the plugin has no installation for the whole instance (scope global)',
) {
  constructor(key: string) {
    super(`${key} is not installed for the whole instance.`, { key });
  }
}

const kinds = (code: ErrorKind['code'], reasons: Record<string, string>): ErrorKind[] =>
  Object.entries(reasons).map(([reason, description]) => ({ code, reason, description }));

/**
 * What a call into the plugin can fail with, as the runtime reports it (libs/runtime's RuntimeError, its
 * `details.reason` kept; see plugin-call-errors.ts); listed in the contract beside the named errors above.
 */
export const PLUGIN_CALL_ERRORS: readonly ErrorKind[] = [
  ...kinds('PLUGIN_COMMUNICATION_TIMEOUT', {
    timeout: 'the plugin did not answer within the time allowed (its timeout_ms, or the shorter one asked for)',
    unreachable: 'a remote plugin could not be reached or answered with a server error',
  }),
  ...kinds('PLUGIN_PERMISSION_DENIED', {
    not_granted: 'the installation is not granted the capability the hook needs',
  }),
  ...kinds('LIMIT_EXCEEDED', {
    out_of_memory: 'the plugin ran out of memory',
    heap_over_limit: 'the plugin is over its memory limit',
    max_pending: 'too many calls to the installation are in flight',
    cpu_budget: 'the installation spent its CPU budget for now',
    reply_too_large: 'the plugin answered with more than the runtime carries',
    reply_too_deep: 'the plugin answered with JSON nested too deep',
  }),
  ...kinds('VALIDATION_ERROR', { too_large: 'the data is larger than a plugin call carries' }),
  ...kinds('INTERNAL', {
    plugin_error: 'the plugin threw or rejected (the message is the plugin’s, secrets redacted)',
    stack_overflow: 'the plugin recursed too deep',
    hook_missing: 'the plugin does not export the hook',
    worker_lost: 'the sandbox hosting the plugin was lost during the call',
  }),
];

/** Why a plugin's onRequest answer was refused (checked in the sandbox); INTERNAL, the plugin's fault. */
export const RESPONSE_ERRORS: readonly ErrorKind[] = kinds('INTERNAL', {
  invalid_response: 'onRequest did not return `{status, headers, body}`',
  invalid_status: 'the status is not an integer from 200 to 599 (a 1xx is not a final answer)',
  header_not_allowed: 'a header outside the allow-list (Set-Cookie, hop-by-hop, what the platform sets)',
  invalid_header: 'a header name or value is malformed',
  too_many_headers: 'more than 32 headers',
  headers_too_large: 'headers larger than 8 KiB',
  body_too_large: 'a body larger than 1 MiB',
});
