/**
 * Messages between the main thread (WorkerHost) and a sandbox worker. Plugin data crosses as JSON text so that
 * nothing but plain data ever moves between the host realm, the worker and QuickJS.
 * Imported by the worker thread too: keep it free of runtime imports.
 */

export type HookOutcome = 'ok' | 'error' | 'timeout' | 'killed';

/** How much CPU a sandbox may use; enforced by the worker. */
export interface CpuBudget {
  /** Length of the accounting window. */
  windowMs: number;
  /** CPU milliseconds the sandbox may use per window, calls and background work together. */
  budgetMs: number;
  /** Longest run of promise jobs or host-call results while no call is active. */
  backgroundSliceMs: number;
}

/** Bounds on what a sandbox may hand the main thread (replies, host-call arguments, events, log fields). */
export interface PayloadBounds {
  /** Largest JSON text, in UTF-8 bytes. */
  maxBytes: number;
  /** Deepest nesting of arrays and objects. */
  maxDepth: number;
}

/** Bounds on what `onRequest` may answer; checked in the worker before the answer is posted. */
export interface ResponseBounds {
  /** Largest body, as JSON text in UTF-8 bytes. */
  maxBodyBytes: number;
  /** Most headers. */
  maxHeaders: number;
  /** Largest sum of header name and value lengths. */
  maxHeaderBytes: number;
}

/** What a sandbox may do; sent at load and again by `reconfigure`. */
export interface SandboxGrants {
  /** Already filtered: secrets are only present when `secrets:read` is granted. */
  config: Record<string, unknown>;
  /** Granted capability ids (hosts stay on the main thread, which does the fetching). */
  capabilities: string[];
  /** What `context.grants` shows: the capability ids and the granted custom scopes. */
  grants: string[];
  memoryBytes: number;
  timeoutMs: number;
  /** A `storage.set` whose key and value exceed this cannot fit and is refused before it is posted. */
  storageQuotaBytes: number;
}

export interface SandboxSetup extends SandboxGrants {
  installationId: string;
  /** Names this sandbox in the worker's control block (see ControlBlock); unique within the runtime. */
  slot: number;
  plugin: { key: string; version: string };
  /** Event types the plugin may emit, or null when the manifest does not restrict them. */
  emits: string[] | null;
  cpu: CpuBudget;
  bounds: PayloadBounds;
  responses: ResponseBounds;
  /** Hook → name of the exported function serving it (the manifest's `hooks`, else the hook's own name). */
  hooks: Record<string, string>;
}

export interface WireError {
  /** Runtime error code (see RuntimeErrorCode). */
  code: string;
  message: string;
  /** snake_case cause when one code covers several (e.g. `cpu_budget`, `stack_overflow`, `reply_too_large`). */
  reason?: string;
}

/** Why the runtime charges an installation outside of a call result. */
export type ChargeReason = 'cpu_budget';

/** What the worker answers a request (load, call, reconfigure, unload) with. */
export interface CallResult {
  outcome: HookOutcome;
  /** The hook's result as JSON text. */
  value?: string;
  error?: WireError;
  memoryBytes?: number;
  /** CPU milliseconds the sandbox used while this call was active. */
  cpuMs?: number;
  /** CPU milliseconds the sandbox used since it was loaded, background work included. */
  totalCpuMs?: number;
}

/** Everything the main thread sends a worker but calls, which go as one string (see encodeCall). */
export type ToWorker =
  | { t: 'load'; id: number; setup: SandboxSetup; code: string; filename: string }
  | { t: 'reconfigure'; id: number; installationId: string; grants: SandboxGrants }
  | { t: 'unload'; id: number; installationId: string }
  | { t: 'host-result'; installationId: string; hostId: number; ok: boolean; value?: string; error?: WireError };

export type FromWorker =
  | { t: 'ready' }
  | ({ t: 'result'; id: number } & CallResult)
  | { t: 'host'; installationId: string; hostId: number; op: string; args: string }
  | { t: 'log'; installationId: string; level: string; message: string; fields?: string; requestId?: string }
  | { t: 'emit'; installationId: string; type: string; data: string }
  /** The sandbox used up a budget outside of any call result (counted as a crash of `installationId`). */
  | { t: 'charge'; installationId: string; reason: ChargeReason; message: string; totalCpuMs: number }
  /** The worker's WebAssembly module can no longer be trusted; terminate it now. `culprit` caused it. */
  | { t: 'fatal'; reason: string; culprit?: string }
  /**
   * The module still works but should be replaced (abandoned heaps add up, a native stack overflow unwound
   * through it): move the other sandboxes first, then terminate it. `culprit` caused it.
   */
  | { t: 'recycle'; reason: string; culprit?: string };

// ---------------------------------------------------------------- the hot path: one string each way
//
// A call and its plain answer cross the thread boundary as one string each: a string is cloned as one block, an
// object field by field (and read back into a new object on the other side).
//
// call:   `${slot},${timeoutMs},${requestId.length},${requestId}` then the string the prelude's dispatch takes as it
//         is: `${id}\n${hook}`, and `\n${payload}` when there is a payload. The request id is length-prefixed
//         because it comes from outside; the other head fields are numbers.
// answer: `${id},${cpuUs},${totalCpuUs},${memoryBytes}`, and `\n${value}` when the hook returned a value. Only an
//         `ok` outcome goes this way; failures stay `{ t: 'result' }` objects. CPU goes in whole microseconds (the
//         thread clock's reading costs about one): formatting a fractional millisecond costs ~1 us per number.

/** A call as the worker reads it. */
export interface CallMessage {
  /** The sandbox's slot (see SandboxSetup.slot). */
  slot: number;
  id: number;
  hook: string;
  timeoutMs: number;
  requestId: string | undefined;
  /** `${id}\n${hook}[\n${payload}]`: what the prelude's dispatch is handed. */
  request: string;
}

export function encodeCall(
  slot: number,
  id: number,
  timeoutMs: number,
  requestId: string | undefined,
  hook: string,
  payload: string | undefined,
): string {
  const rid = requestId ?? '';
  const head = `${slot},${timeoutMs},${requestId === undefined ? -1 : rid.length},${rid}${id}\n${hook}`;
  return payload === undefined ? head : `${head}\n${payload}`;
}

export function decodeCall(text: string): CallMessage {
  const a = text.indexOf(',');
  const b = text.indexOf(',', a + 1);
  const c = text.indexOf(',', b + 1);
  const ridLength = +text.slice(b + 1, c);
  const start = c + 1 + Math.max(0, ridLength);
  const request = text.slice(start);
  const idEnd = request.indexOf('\n');
  const hookEnd = request.indexOf('\n', idEnd + 1);
  return {
    slot: +text.slice(0, a),
    timeoutMs: +text.slice(a + 1, b),
    requestId: ridLength < 0 ? undefined : text.slice(c + 1, start),
    id: +request.slice(0, idEnd),
    hook: hookEnd === -1 ? request.slice(idEnd + 1) : request.slice(idEnd + 1, hookEnd),
    request,
  };
}

export function encodeAnswer(
  id: number,
  cpuMs: number,
  totalCpuMs: number,
  memoryBytes: number,
  value: string | undefined,
): string {
  const head = `${id},${Math.round(cpuMs * 1000)},${Math.round(totalCpuMs * 1000)},${memoryBytes}`;
  return value === undefined ? head : `${head}\n${value}`;
}

/** An answer string back as the call's result (`memoryBytes` 0 means not measured yet). */
export function decodeAnswer(text: string): CallResult & { id: number } {
  const a = text.indexOf(',');
  const b = text.indexOf(',', a + 1);
  const c = text.indexOf(',', b + 1);
  const end = text.indexOf('\n', c + 1);
  const memoryBytes = +text.slice(c + 1, end === -1 ? undefined : end);
  const result: CallResult & { id: number } = {
    id: +text.slice(0, a),
    outcome: 'ok',
    cpuMs: +text.slice(a + 1, b) / 1000,
    totalCpuMs: +text.slice(b + 1, c) / 1000,
  };
  if (memoryBytes > 0) result.memoryBytes = memoryBytes;
  if (end !== -1) result.value = text.slice(end + 1);
  return result;
}

/**
 * Shared memory between the main thread and one worker: which sandbox is executing QuickJS code right now and
 * until when it may. The main thread's watchdog reads it, so a call is timed from when the worker starts running
 * it (not from when it was sent), and a worker stuck past a deadline is blamed on the sandbox that holds it.
 * Layout: Int32 [0] running slot (0 = idle), Int32 [1] generation (bumped on every entry), Float64 [1] deadline
 * (epoch ms).
 */
export class ControlBlock {
  static readonly BYTES = 16;
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer, 0, 2);
    this.floats = new Float64Array(buffer, 8, 1);
  }

  /** Worker side: `slot` starts running QuickJS code and may until `deadline`. */
  enter(slot: number, deadline: number): void {
    this.floats[0] = deadline;
    Atomics.add(this.ints, 1, 1);
    Atomics.store(this.ints, 0, slot);
  }

  /** Worker side: extends the current run (a new call became active during it). */
  extend(deadline: number): void {
    this.floats[0] = deadline;
  }

  /** Worker side: no QuickJS code is running. */
  leave(): void {
    Atomics.store(this.ints, 0, 0);
  }

  /** Main side: the slot running now and its deadline, or undefined when idle (or mid-update). */
  read(): { slot: number; deadline: number; generation: number } | undefined {
    const generation = Atomics.load(this.ints, 1);
    const slot = Atomics.load(this.ints, 0);
    const deadline = this.floats[0];
    if (slot === 0 || Atomics.load(this.ints, 1) !== generation) return undefined;
    return { slot, deadline, generation };
  }
}
