/** Turning QuickJS failures into wire errors, and host failures into errors inside the sandbox. */
import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { WireError } from '../protocol.js';

export type NativeResult = { error: QuickJSHandle };

export interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

/** Thrown by Sandbox.load with a readable message. */
export class StartupError extends Error {}

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
  switch (error?.code) {
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
    if (dumped && typeof dumped === 'object') {
      const d = dumped as Record<string, unknown>;
      return { name: String(d.name ?? 'Error'), message: String(d.message ?? '') };
    }
    return { name: 'Error', message: String(dumped) };
  } catch {
    return { name: 'Error', message: 'unreadable error' };
  }
}

export function parseErrorInfo(text: string | undefined): ErrorInfo {
  try {
    const info = JSON.parse(text ?? '{}') as Partial<ErrorInfo>;
    return { name: String(info.name ?? 'Error'), message: String(info.message ?? ''), code: info.code };
  } catch {
    return { name: 'Error', message: 'unreadable error' };
  }
}

export function toWireError(info: ErrorInfo): WireError {
  if (info.message.includes('out of memory')) return memoryError();
  if (info.name === 'InternalError' && info.message === 'interrupted') return timeoutError(0);
  const message = `${info.name}: ${info.message}`.slice(0, 4096);
  return { code: 'PLUGIN_ERROR', message };
}

export function memoryError(): WireError {
  return { code: 'PLUGIN_MEMORY_LIMIT', message: 'the plugin ran out of memory (limits.memory_mb)' };
}

export function timeoutError(ms: number): WireError {
  return { code: 'PLUGIN_TIMEOUT', message: `the call did not finish within ${ms} ms (limits.timeout_ms)` };
}
