/** One installation's QuickJS runtime and context inside a worker. Worker code: relative imports only. */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import { PRELUDE_SOURCE } from '../prelude.js';
import type { HookOutcome, SandboxSetup, WireError } from '../protocol.js';
import { fatal, post } from './channel.js';
import { NativeBridge, type BridgeOwner } from './native-bridge.js';
import {
  describeHandle,
  errorName,
  isWasmTrap,
  memoryError,
  StartupError,
  timeoutError,
  toWireError,
} from './wire-errors.js';

/**
 * QuickJS's own stack limit. It must stay well below what the worker thread's native stack can take (measured:
 * 512 KiB is safe in a worker, 1 MiB crashes the thread on deep JSON.parse), and leaves ~1300 frames of plugin recursion.
 */
const MAX_STACK_BYTES = 256 * 1024;

/** Heaps abandoned after an out-of-memory (see Sandbox.dispose) before the worker asks to be replaced. */
const ABANDONED_BYTES_BUDGET = 256 * 1024 * 1024;
let abandonedBytes = 0;

const TRAPPED = Symbol('trapped');

interface ActiveCall {
  id: number;
  deadline: number;
  timer: NodeJS.Timeout;
}

export class Sandbox implements BridgeOwner {
  private readonly rt: QuickJSRuntime;
  private readonly ctx: QuickJSContext;
  private readonly bridge: NativeBridge;
  private dispatchFn?: QuickJSHandle;
  private settleFn?: QuickJSHandle;
  private readonly active = new Map<number, ActiveCall>();
  readonly caps: Set<string>;
  private sliceDeadline = 0;
  private interrupted = false;
  private disposed = false;
  /** Hit its memory limit at least once: QuickJS may have leaked objects on that path (see dispose). */
  private tainted = false;

  constructor(
    module: QuickJSWASMModule,
    readonly setup: SandboxSetup,
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
    this.bridge = new NativeBridge(this.ctx, this);
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
      const native = own(this.bridge.create());
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
    this.bridge.hostSettled();
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

  finish(id: number, outcome: HookOutcome, value: string | undefined, error: WireError | undefined): void {
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

function isThenable(ctx: QuickJSContext, handle: QuickJSHandle): boolean {
  const then = ctx.getProp(handle, 'then');
  const result = ctx.typeof(then) === 'function';
  then.dispose();
  return result;
}
