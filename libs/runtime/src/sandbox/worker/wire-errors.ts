/** Turning QuickJS failures into wire errors, and host failures into errors inside the sandbox. Worker code. */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { WireError } from '../protocol.js';

export type NativeResult = { error: QuickJSHandle };

export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
  /** The plugin (or the engine, with no memory left for an error object) threw `null`. */
  thrownNull?: boolean;
  /** Set by the prelude (not by plugin code): the plugin has no function for a hook that needs one. */
  missingHook?: boolean;
}

/** Error descriptions longer than this are not parsed (the prelude produced them from plugin data). */
const MAX_ERROR_TEXT = 64 * 1024;

/**
 * Share of QuickJS's own memory accounting (see heap.ts) the heap must have reached during the call for an
 * allocation failure to count as the memory limit: measured, small-object bombs end above 0.97, an array whose
 * storage fails to double near 0.6. A plugin that merely throws `null` or `InternalError('out of memory')` is not
 * near it and gets a plain PLUGIN_ERROR.
 */
const OUT_OF_MEMORY_SHARE = 0.5;

/** Thrown by Sandbox.load with a readable message. */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'memory' | 'error' = 'error',
  ) {
    super(message);
  }
}

/** `WebAssembly.RuntimeError` (the lib typings in use do not declare the WebAssembly global as a value). */
export function isWasmTrap(error: unknown): boolean {
  const ctor = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;
  return error instanceof ctor;
}

export function limitExceeded(ctx: QuickJSContext, message: string): NativeResult {
  return { error: ctx.newError({ name: 'LimitExceeded', message }) };
}

export function permissionDenied(ctx: QuickJSContext, capability: string): NativeResult {
  return { error: ctx.newError({ name: 'PermissionDenied', message: `${capability} not granted` }) };
}

/** The name a host failure gets inside the sandbox, e.g. `LimitExceeded: storage quota ...`. */
export function errorName(error: WireError | undefined): string {
  switch (error?.code ?? '') {
    case 'PLUGIN_PERMISSION_DENIED':
      return 'PermissionDenied';
    case 'LIMIT_EXCEEDED':
      return 'LimitExceeded';
    case 'PLUGIN_TIMEOUT':
      return 'TimeoutError';
    default:
      return 'HostError';
  }
}

export function describeHandle(ctx: QuickJSContext, handle: QuickJSHandle): ErrorInfo {
  try {
    const dumped = ctx.dump(handle) as unknown;
    if (dumped === null) return { name: 'null', message: 'null was thrown', thrownNull: true };
    if (dumped && typeof dumped === 'object') {
      const d = dumped as Record<string, unknown>;
      return { name: asText(d.name, 'Error'), message: asText(d.message, '') };
    }
    return { name: 'Error', message: asText(dumped, '') };
  } catch {
    return { name: 'Error', message: 'unreadable error' };
  }
}

/** A dumped QuickJS value as text: strings as they are, other primitives through String, objects not at all. */
function asText(value: unknown, fallback: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return fallback;
}

export function parseErrorInfo(text: string | undefined): ErrorInfo {
  if (text !== undefined && text.length > MAX_ERROR_TEXT) return { name: 'Error', message: 'error too large to show' };
  try {
    const info = JSON.parse(text ?? '{}') as Partial<ErrorInfo>;
    return {
      name: asText(info.name, 'Error'),
      message: asText(info.message, ''),
      code: typeof info.code === 'string' ? info.code : undefined,
      thrownNull: info.thrownNull === true,
      missingHook: info.missingHook === true,
    };
  } catch {
    return { name: 'Error', message: 'unreadable error' };
  }
}

/**
 * What a failure was, from the engine's state: an allocation failure counts as out-of-memory only when the heap
 * had come near QuickJS's limit (`countedPeak`), never because of what was thrown.
 */
export function classify(
  info: ErrorInfo,
  countedPeak: number,
): 'out_of_memory' | 'stack_overflow' | 'interrupted' | 'error' {
  if (info.name === 'InternalError' && info.message === 'interrupted') return 'interrupted';
  if (info.message === 'stack overflow' && ['InternalError', 'SyntaxError', 'RangeError'].includes(info.name)) {
    return 'stack_overflow';
  }
  const allocationFailure =
    info.thrownNull === true || (info.name === 'InternalError' && info.message === 'out of memory');
  return allocationFailure && countedPeak >= OUT_OF_MEMORY_SHARE ? 'out_of_memory' : 'error';
}

export function memoryError(reason: 'out_of_memory' | 'heap_over_limit'): WireError {
  return { code: 'PLUGIN_MEMORY_LIMIT', message: 'the plugin ran out of memory (limits.memory_mb)', reason };
}

export function limitError(reason: string, message: string): WireError {
  return { code: 'LIMIT_EXCEEDED', message, reason };
}

export function timeoutError(ms: number): WireError {
  return { code: 'PLUGIN_TIMEOUT', message: `the call did not finish within ${ms} ms (limits.timeout_ms)` };
}
