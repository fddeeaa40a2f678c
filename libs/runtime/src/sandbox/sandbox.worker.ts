/**
 * Worker-thread entry: hosts several QuickJS sandboxes (one QuickJSRuntime + context per installation) on one
 * WebAssembly module. Loaded by plain Node (compiled .js) or through tsx from source, so: no decorators, no path
 * aliases, relative imports only.
 */
import { parentPort } from 'node:worker_threads';
import {
  newQuickJSWASMModule,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import { PRELUDE_SOURCE } from './prelude.js';
import type { FromWorker, HookOutcome, SandboxSetup, ToWorker, WireError } from './protocol.js';

/**
 * QuickJS's own stack limit. It must stay well below what the worker thread's native stack can take (measured:
 * 512 KiB is safe in a worker, 1 MiB crashes the thread on deep JSON.parse), and leaves ~1300 frames of plugin recursion.
 */
const MAX_STACK_BYTES = 256 * 1024;

/** Which capability each asynchronous host operation needs; checked here again so a bypass of the prelude is useless. */
const HOST_OP_CAPABILITY: Record<string, string> = {
  'messages.send': 'messages:send',
  'storage.get': 'storage:read',
  'storage.list': 'storage:read',
  'storage.set': 'storage:write',
  'storage.delete': 'storage:write',
  'http.fetch': 'http:external',
};

function post(message: FromWorker): void {
  parentPort!.postMessage(message);
}

const TRAPPED = Symbol('trapped');

/**
 * Per-sandbox flood limits: a plugin must not be able to swamp the main thread (logs, events, host calls are all
 * handled there) however fast it loops.
 */
const LIMITS = {
  logLinesPerSecond: 200,
  logMessageChars: 8192,
  logFieldsChars: 16_384,
  eventsPerSecond: 100,
  eventDataChars: 256 * 1024,
  hostCallsInFlight: 64,
};

/** Counts uses in the current one-second window. */
class PerSecond {
  private windowStart = 0;
  private used = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  take(): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.used = 0;
      this.dropped = 0;
    }
    if (this.used < this.limit) {
      this.used++;
      return true;
    }
    this.dropped++;
    return false;
  }
}

/** Heaps abandoned after an out-of-memory (see Sandbox.dispose) before the worker asks to be replaced. */
const ABANDONED_BYTES_BUDGET = 256 * 1024 * 1024;
let abandonedBytes = 0;

/** `WebAssembly.RuntimeError` (the lib typings in use do not declare the WebAssembly global as a value). */
function isWasmTrap(error: unknown): boolean {
  const ctor = (globalThis as unknown as { WebAssembly: { RuntimeError: new () => Error } }).WebAssembly.RuntimeError;
  return error instanceof ctor;
}

/**
 * A WebAssembly trap means the shared QuickJS heap may be inconsistent: ask the main thread to replace this
 * worker (it reloads the other sandboxes elsewhere). Messages are ordered, so results posted before arrive first.
 */
function fatal(reason: string): void {
  post({ t: 'fatal', reason });
}

class StartupError extends Error {}

type NativeResult = { error: QuickJSHandle };

interface ActiveCall {
  id: number;
  deadline: number;
  timer: NodeJS.Timeout;
}

class Sandbox {
  private readonly rt: QuickJSRuntime;
  private readonly ctx: QuickJSContext;
  private dispatchFn?: QuickJSHandle;
  private settleFn?: QuickJSHandle;
  private readonly active = new Map<number, ActiveCall>();
  private readonly caps: Set<string>;
  private sliceDeadline = 0;
  private interrupted = false;
  private disposed = false;
  /** Hit its memory limit at least once: QuickJS may have leaked objects on that path (see dispose). */
  private tainted = false;
  private hostInFlight = 0;
  private readonly logBudget = new PerSecond(LIMITS.logLinesPerSecond);
  private readonly emitBudget = new PerSecond(LIMITS.eventsPerSecond);

  constructor(
    module: QuickJSWASMModule,
    private readonly setup: SandboxSetup,
  ) {
    this.caps = new Set(setup.capabilities);
    this.rt = module.newRuntime();
    this.rt.setMemoryLimit(setup.memoryBytes);
    this.rt.setMaxStackSize(MAX_STACK_BYTES);
    this.rt.setInterruptHandler(() => {
      if (Date.now() <= this.sliceDeadline) return false;
      this.interrupted = true;
      return true;
    });
    this.ctx = this.rt.newContext();
  }

  /** Evaluates the prelude and the plugin module; throws StartupError with a readable message. */
  load(code: string, filename: string): void {
    this.sliceDeadline = Date.now() + this.setup.timeoutMs;
    const ctx = this.ctx;
    const owned: QuickJSHandle[] = [];
    const own = (handle: QuickJSHandle) => (owned.push(handle), handle);
    try {
      const prelude = own(
        this.unwrap(ctx.evalCode(PRELUDE_SOURCE, 'plughub:prelude.js', { type: 'global' }), 'prelude'),
      );
      const native = own(this.makeNative());
      const setupText = own(ctx.newString(JSON.stringify(this.setup)));
      const api = own(this.unwrap(ctx.callFunction(prelude, ctx.undefined, native, setupText), 'prelude'));
      this.dispatchFn = ctx.getProp(api, 'dispatch');
      this.settleFn = ctx.getProp(api, 'settle');
      const register = own(ctx.getProp(api, 'register'));

      let namespace = own(this.unwrap(ctx.evalCode(code, filename, { type: 'module', strict: true }), 'runner'));
      this.drainJobs();
      // Depending on the QuickJS build, a module evaluates to its namespace or to a promise of it.
      if (isThenable(ctx, namespace)) {
        const state = ctx.getPromiseState(namespace);
        if (state.type === 'pending') throw new StartupError('runner: top-level await did not settle');
        const settled = state.type === 'fulfilled' ? { value: state.value } : { error: state.error };
        namespace = own(this.unwrap(settled, 'runner'));
      }
      const exported = own(ctx.getProp(namespace, 'default'));
      own(this.unwrap(ctx.callFunction(register, ctx.undefined, exported), 'runner'));
    } finally {
      for (const handle of owned) if (handle.alive) handle.dispose();
    }
  }

  call(id: number, hook: string, payload: string | undefined, timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    const timer = setTimeout(() => this.finish(id, 'timeout', undefined, timeoutError(timeoutMs)), timeoutMs + 5);
    this.active.set(id, { id, deadline, timer });
    const args = [this.ctx.newNumber(id), this.ctx.newString(hook)];
    if (payload !== undefined) args.push(this.ctx.newString(payload));
    this.run(() => {
      const result = this.ctx.callFunction(this.dispatchFn!, this.ctx.undefined, ...args);
      if (result.error) this.failFromHandle(id, result.error);
      else result.value.dispose();
    });
    for (const a of args) a.dispose();
  }

  hostResult(hostId: number, ok: boolean, value: string | undefined, error: WireError | undefined): void {
    if (this.disposed) return;
    this.hostInFlight = Math.max(0, this.hostInFlight - 1);
    const ctx = this.ctx;
    const owned = [ctx.newNumber(hostId)];
    if (ok && value !== undefined) owned.push(ctx.newString(value));
    if (!ok)
      owned.push(ctx.newString(JSON.stringify({ name: errorName(error), code: error?.code, message: error?.message })));
    const text = ok && value === undefined ? ctx.undefined : owned[1];
    this.run(() => {
      const result = ctx.callFunction(this.settleFn!, ctx.undefined, owned[0], ok ? ctx.true : ctx.false, text);
      (result.error ?? result.value).dispose();
    });
    for (const handle of owned) handle.dispose();
  }

  markTainted(): void {
    this.tainted = true;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Calls still running are answered now: left unanswered, the main thread's watchdog would kill the worker.
    for (const call of this.active.values()) {
      clearTimeout(call.timer);
      const error = { code: 'PLUGIN_KILLED', message: 'the sandbox was unloaded while the call ran' };
      post({ t: 'result', id: call.id, outcome: 'killed', error });
    }
    this.active.clear();
    this.dispatchFn?.dispose();
    this.settleFn?.dispose();
    if (this.tainted) {
      // After an out-of-memory QuickJS can leave unreachable objects behind, and JS_FreeRuntime then aborts the
      // whole WASM module on its leak assertion (measured). So such a heap is abandoned instead of freed, and the
      // worker is recycled once the abandoned heaps add up.
      abandonedBytes += this.setup.memoryBytes;
      if (abandonedBytes > ABANDONED_BYTES_BUDGET) fatal(`recycling after abandoning ${abandonedBytes} bytes of heaps`);
      return;
    }
    try {
      this.ctx.dispose();
      this.rt.dispose();
    } catch (error) {
      // Seen after an out-of-memory inside QuickJS: JS_FreeRuntime's leak assertion aborts the WASM module.
      // Nothing running in this module can be trusted after an abort, so the worker is replaced.
      fatal(`freeing a sandbox failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Runs `fn` and then the job queue, with the interrupt deadline set to the earliest active call's deadline. */
  private run(fn: () => void): void {
    if (this.disposed) return;
    this.sliceDeadline = this.earliestDeadline();
    this.interrupted = false;
    fn();
    this.drainJobs();
  }

  private drainJobs(): void {
    for (let rounds = 0; rounds < 1000 && !this.disposed && this.rt.hasPendingJob(); rounds++) {
      const result = this.rt.executePendingJobs();
      if (result.error) {
        const info = describeHandle(result.error.context, result.error);
        result.error.dispose();
        if (this.interrupted) this.expireOverdue();
        else if (info.message.includes('out of memory')) this.failAll(memoryError());
      }
      if (this.interrupted) {
        this.expireOverdue();
        this.sliceDeadline = this.earliestDeadline();
        this.interrupted = false;
      }
    }
    if (this.interrupted) this.expireOverdue();
  }

  private earliestDeadline(): number {
    let min = Infinity;
    for (const call of this.active.values()) min = Math.min(min, call.deadline);
    return min === Infinity ? Date.now() + this.setup.timeoutMs : min;
  }

  /** The interrupt handler fired: every call whose budget is spent ends as a timeout, whatever the plugin does next. */
  private expireOverdue(): void {
    const now = Date.now();
    for (const call of [...this.active.values()]) {
      if (call.deadline <= now) this.finish(call.id, 'timeout', undefined, timeoutError(this.setup.timeoutMs));
    }
  }

  private failAll(error: WireError): void {
    if (error.code === 'PLUGIN_MEMORY_LIMIT') this.tainted = true;
    for (const call of [...this.active.values()]) this.finish(call.id, 'error', undefined, error);
  }

  private failFromHandle(id: number, handle: QuickJSHandle): void {
    const info = describeHandle(this.ctx, handle);
    handle.dispose();
    if (this.interrupted || info.message === 'interrupted') {
      this.finish(id, 'timeout', undefined, timeoutError(this.setup.timeoutMs));
    } else this.finish(id, 'error', undefined, toWireError(info));
  }

  private finish(id: number, outcome: HookOutcome, value: string | undefined, error: WireError | undefined): void {
    const call = this.active.get(id);
    if (!call) return; // already timed out, or the sandbox was unloaded
    clearTimeout(call.timer);
    this.active.delete(id);
    const memory = this.memoryUsed();
    if (error?.code === 'PLUGIN_TIMEOUT') outcome = 'timeout';
    // Once the heap is exhausted QuickJS cannot even allocate its "out of memory" error and throws null instead;
    // a heap still at its limit when the call ends, or one too broken to measure, means the limit was the cause.
    if (
      error?.code === 'PLUGIN_ERROR' &&
      (memory === TRAPPED || (memory !== undefined && memory > this.setup.memoryBytes * 0.9))
    ) {
      error = memoryError();
    }
    if (error?.code === 'PLUGIN_MEMORY_LIMIT') this.tainted = true;
    post({ t: 'result', id, outcome, value, error, memoryBytes: memory === TRAPPED ? undefined : memory });
    if (memory === TRAPPED) fatal('the QuickJS heap trapped after exhausting its memory limit');
  }

  private memoryUsed(): number | typeof TRAPPED | undefined {
    if (this.disposed) return undefined;
    try {
      const usage = this.rt.computeMemoryUsage();
      const used = this.ctx.getProp(usage, 'memory_used_size');
      const bytes = this.ctx.getNumber(used);
      used.dispose();
      usage.dispose();
      return bytes;
    } catch (error) {
      return isWasmTrap(error) ? TRAPPED : undefined;
    }
  }

  /** The native functions the prelude closes over. Arguments are strings/numbers; anything else is coerced. */
  private makeNative(): QuickJSHandle {
    const ctx = this.ctx;
    const { installationId } = this.setup;
    const native = ctx.newObject();
    const define = (name: string, fn: (...args: QuickJSHandle[]) => NativeResult | void) => {
      const handle = ctx.newFunction(name, fn);
      ctx.setProp(native, name, handle);
      handle.dispose();
    };
    const str = (h: QuickJSHandle | undefined) =>
      h === undefined || ctx.typeof(h) === 'undefined' ? undefined : ctx.getString(h);

    define('done', (idH, okH, textH) => {
      const id = ctx.getNumber(idH);
      const ok = ctx.dump(okH) === true;
      const text = str(textH);
      if (ok) this.finish(id, 'ok', text, undefined);
      else this.finish(id, 'error', undefined, toWireError(parseErrorInfo(text)));
    });
    define('log', (levelH, messageH, fieldsH) => {
      if (!this.caps.has('log')) return permissionDenied(ctx, 'log');
      if (!this.logBudget.take()) {
        if (this.logBudget.dropped === 1) {
          const message = `log rate limit of ${LIMITS.logLinesPerSecond} lines/s exceeded; dropping lines`;
          post({ t: 'log', installationId, level: 'warn', message });
        }
        return;
      }
      const fields = str(fieldsH);
      post({
        t: 'log',
        installationId,
        level: str(levelH) ?? 'info',
        message: (str(messageH) ?? '').slice(0, LIMITS.logMessageChars),
        fields: fields !== undefined && fields.length <= LIMITS.logFieldsChars ? fields : undefined,
      });
    });
    define('emit', (typeH, dataH) => {
      if (!this.caps.has('events:emit')) return permissionDenied(ctx, 'events:emit');
      const data = str(dataH) ?? 'null';
      if (data.length > LIMITS.eventDataChars)
        return limitExceeded(ctx, `event data over ${LIMITS.eventDataChars} characters`);
      if (!this.emitBudget.take()) return limitExceeded(ctx, `more than ${LIMITS.eventsPerSecond} events/s`);
      post({ t: 'emit', installationId, type: str(typeH) ?? '', data });
    });
    define('host', (idH, opH, argsH) => {
      const op = str(opH) ?? '';
      const capability = HOST_OP_CAPABILITY[op];
      if (!capability) return { error: ctx.newError(`unknown host operation ${op}`) };
      if (!this.caps.has(capability)) return permissionDenied(ctx, capability);
      if (this.hostInFlight >= LIMITS.hostCallsInFlight) {
        return limitExceeded(ctx, `more than ${LIMITS.hostCallsInFlight} host calls in flight`);
      }
      this.hostInFlight++;
      post({ t: 'host', installationId, hostId: ctx.getNumber(idH), op, args: str(argsH) ?? 'null' });
    });
    return native;
  }

  private unwrap(result: { value: QuickJSHandle } | { error: QuickJSHandle }, stage: string): QuickJSHandle {
    if ('error' in result && result.error) {
      const info = describeHandle(this.ctx, result.error);
      result.error.dispose();
      if (this.interrupted || info.message === 'interrupted') {
        throw new StartupError(`${stage}: did not finish within ${this.setup.timeoutMs} ms`);
      }
      throw new StartupError(`${stage}: ${info.name}: ${info.message}`);
    }
    return (result as { value: QuickJSHandle }).value;
  }
}

function limitExceeded(ctx: QuickJSContext, message: string): NativeResult {
  return { error: ctx.newError({ name: 'LimitExceeded', message }) };
}

function permissionDenied(ctx: QuickJSContext, capability: string): NativeResult {
  return { error: ctx.newError({ name: 'PermissionDenied', message: `${capability} not granted` }) };
}

function isThenable(ctx: QuickJSContext, handle: QuickJSHandle): boolean {
  const then = ctx.getProp(handle, 'then');
  const result = ctx.typeof(then) === 'function';
  then.dispose();
  return result;
}

interface ErrorInfo {
  name: string;
  message: string;
  code?: string;
}

/** The name a host failure gets inside the sandbox, e.g. `LimitExceeded: storage quota ...`. */
function errorName(error: WireError | undefined): string {
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

function describeHandle(ctx: QuickJSContext, handle: QuickJSHandle): ErrorInfo {
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

function parseErrorInfo(text: string | undefined): ErrorInfo {
  try {
    const info = JSON.parse(text ?? '{}') as Partial<ErrorInfo>;
    return { name: String(info.name ?? 'Error'), message: String(info.message ?? ''), code: info.code };
  } catch {
    return { name: 'Error', message: 'unreadable error' };
  }
}

function toWireError(info: ErrorInfo): WireError {
  if (info.message.includes('out of memory')) return memoryError();
  if (info.name === 'InternalError' && info.message === 'interrupted') return timeoutError(0);
  const message = `${info.name}: ${info.message}`.slice(0, 4096);
  return { code: 'PLUGIN_ERROR', message };
}

function memoryError(): WireError {
  return { code: 'PLUGIN_MEMORY_LIMIT', message: 'the plugin ran out of memory (limits.memory_mb)' };
}

function timeoutError(ms: number): WireError {
  return { code: 'PLUGIN_TIMEOUT', message: `the call did not finish within ${ms} ms (limits.timeout_ms)` };
}

const sandboxes = new Map<string, Sandbox>();

function handle(module: QuickJSWASMModule, msg: ToWorker): void {
  switch (msg.t) {
    case 'load': {
      const { installationId } = msg.setup;
      sandboxes.get(installationId)?.dispose();
      const sandbox = new Sandbox(module, msg.setup);
      try {
        sandbox.load(msg.code, msg.filename);
        sandboxes.set(installationId, sandbox);
        post({ t: 'result', id: msg.id, outcome: 'ok' });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const outOfMemory = message.includes('out of memory');
        if (outOfMemory) sandbox.markTainted();
        sandbox.dispose();
        post({
          t: 'result',
          id: msg.id,
          outcome: message.includes('did not finish within') ? 'timeout' : 'error',
          error: { code: outOfMemory ? 'PLUGIN_MEMORY_LIMIT' : 'PLUGIN_STARTUP_FAILED', message },
        });
      }
      return;
    }
    case 'call': {
      const sandbox = sandboxes.get(msg.installationId);
      if (!sandbox) {
        post({
          t: 'result',
          id: msg.id,
          outcome: 'error',
          error: { code: 'PLUGIN_NOT_LOADED', message: 'not loaded' },
        });
        return;
      }
      sandbox.call(msg.id, msg.hook, msg.payload, msg.timeoutMs);
      return;
    }
    case 'host-result':
      sandboxes.get(msg.installationId)?.hostResult(msg.hostId, msg.ok, msg.value, msg.error);
      return;
    case 'unload':
      sandboxes.get(msg.installationId)?.dispose();
      sandboxes.delete(msg.installationId);
      post({ t: 'result', id: msg.id, outcome: 'ok' });
      return;
  }
}

const quickjs = await newQuickJSWASMModule();
parentPort!.on('message', (msg: ToWorker) => {
  try {
    handle(quickjs, msg);
  } catch (error) {
    // A bug or an exhausted WASM heap: report it on the request so the main thread is not left waiting.
    if ('id' in msg) {
      const message = error instanceof Error ? error.message : String(error);
      post({
        t: 'result',
        id: msg.id,
        outcome: 'error',
        error: { code: 'PLUGIN_ERROR', message: `sandbox: ${message}` },
      });
    }
  }
});
post({ t: 'ready' });
