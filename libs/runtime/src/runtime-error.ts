/** Failure codes of the runtime. `apiCode` maps each to the platform error catalogue (libs/common). */
export const RUNTIME_ERROR_CODES = {
  /** No instance is loaded for the installation id. */
  PLUGIN_NOT_LOADED: 'PLUGIN_NOT_FOUND',
  /** `load` was called twice for one installation id without `stop`. */
  PLUGIN_ALREADY_LOADED: 'CONFLICT',
  /** The runner did not evaluate, did not export hooks, or `onInit` failed. */
  PLUGIN_STARTUP_FAILED: 'PLUGIN_STARTUP_FAILED',
  /** The instance is in state `failed` (too many crashes); `restart` it. */
  PLUGIN_FAILED: 'PLUGIN_STARTUP_FAILED',
  /** The plugin threw or rejected. */
  PLUGIN_ERROR: 'INTERNAL',
  /** The call exceeded `limits.timeout_ms`. */
  PLUGIN_TIMEOUT: 'PLUGIN_COMMUNICATION_TIMEOUT',
  /** The plugin exceeded `limits.memory_mb`. */
  PLUGIN_MEMORY_LIMIT: 'LIMIT_EXCEEDED',
  /** The worker hosting the instance was terminated while the call ran. */
  PLUGIN_KILLED: 'INTERNAL',
  /** `limits.max_pending` calls already in flight, or the storage quota is full. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The hook needs a capability the installation was not granted (e.g. onMessage without messages:receive). */
  PLUGIN_PERMISSION_DENIED: 'PLUGIN_PERMISSION_DENIED',
  /** A remote plugin could not be reached or answered with a server error. */
  PLUGIN_UNREACHABLE: 'PLUGIN_COMMUNICATION_TIMEOUT',
  /** Bad input from the caller (not JSON-serialisable data, unknown target...). */
  INVALID_ARGUMENT: 'VALIDATION_ERROR',
  /** `request`: no endpoint of the manifest matches the path. */
  ENDPOINT_NOT_FOUND: 'NOT_FOUND',
  /** `request`: the path is declared, not for this method. */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** `close()` was called. */
  RUNTIME_CLOSED: 'INTERNAL',
} as const;

export type RuntimeErrorCode = keyof typeof RUNTIME_ERROR_CODES;

export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  /** `reason` (snake_case) tells causes apart where one code covers several; see the README's table. */
  readonly details: { reason?: string };

  constructor(
    readonly code: RuntimeErrorCode,
    message: string,
    reason?: string,
  ) {
    super(message);
    this.details = reason === undefined ? {} : { reason };
  }

  /** The code of the platform error catalogue this failure is reported under by the HTTP API. */
  get apiCode(): (typeof RUNTIME_ERROR_CODES)[RuntimeErrorCode] {
    return RUNTIME_ERROR_CODES[this.code];
  }

  static from(code: string, message: string, reason?: string): RuntimeError {
    return new RuntimeError(code in RUNTIME_ERROR_CODES ? (code as RuntimeErrorCode) : 'PLUGIN_ERROR', message, reason);
  }
}
