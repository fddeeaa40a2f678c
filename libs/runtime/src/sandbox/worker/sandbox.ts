/** One installation's QuickJS runtime and context inside a worker. Worker code: relative imports only. */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import { checkResponse } from '../http-response.js';
import { PRELUDE_SOURCE } from '../prelude.js';
import {
  encodeAnswer,
  type CallMessage,
  type ControlBlock,
  type FromWorker,
  type HookOutcome,
  type SandboxGrants,
  type SandboxSetup,
  type WireError,
} from '../protocol.js';
import { post } from './channel.js';
import { CpuWindow } from './cpu-window.js';
import { HeapGauge } from './heap.js';
import { threadClock } from './thread-clock.js';
import type { GrowthClient, MemoryGovernor } from './memory-governor.js';
import { NativeBridge, type BridgeOwner } from './native-bridge.js';
import { exceeds } from './payload-bounds.js';
import { ArgumentRefused, StringCall } from './string-call.js';
import {
  classify,
  describeHandle,
  errorName,
  isWasmTrap,
  limitError,
  memoryError,
  parseErrorInfo,
  StartupError,
  timeoutError,
  type ErrorInfo,
} from './wire-errors.js';

/**
 * QuickJS's own stack limit. It must trip before the thread's native stack runs out, on every recursion the
 * parser's included (see WORKER_STACK_MB in worker-host.ts), and leaves ~1300 frames of plugin recursion.
 */
const MAX_STACK_BYTES = 256 * 1024;
/** How long the prelude may take to evaluate (see load). */
const PRELUDE_DEADLINE_MS = 5_000;
/** Promise jobs run in batches of this many between checks of the slice's deadline. */
const JOB_BATCH = 32;
/** Measure the real heap (a walk of it) after a run that made this many allocations, or this long after the last. */
const MEASURE_AFTER_ALLOCATIONS = 512;
const MEASURE_AFTER_MS = 1000;

/** What the worker needs from a sandbox's failures beyond its calls' results. */
export interface SandboxHooks {
  /** The engine's native stack overflowed, or a trap hit: this module must be replaced (culprit: this sandbox). */
  onUnsafe(sandbox: Sandbox, kind: 'trap' | 'native_stack' | 'free_failed', error: unknown): void;
  /** A tainted heap was abandoned; its real size is `bytes`. */
  onAbandoned(sandbox: Sandbox, bytes: number): void;
}

/** A call answered during a run: posted when the run ends, with the run's CPU time (see Sandbox.run). */
interface Answered {
  id: number;
  outcome: HookOutcome;
  value: string | undefined;
  error: WireError | undefined;
  /** CPU milliseconds of the runs before this one. */
  cpuMs: number;
}

interface ActiveCall {
  id: number;
  hook: string;
  deadline: number;
  /** Armed only for a call still waiting when its run ends: while code runs, the interrupt handler times it. */
  timer?: NodeJS.Timeout;
  cpuMs: number;
  requestId?: string;
}

/**
 * Runs one plugin. CPU is bounded to calls: every run of QuickJS code (a call, its promise jobs, a host-call
 * result) gets an interrupt deadline in wall time, the earliest active call's deadline, or a short background
 * slice when no call is active, and may use no more CPU than what is left of the sandbox's budget for the window.
 * The budget counts the worker thread's CPU time during the run (thread-clock.ts), so time the thread spent
 * descheduled is not charged; deadlines and the watchdog stay in wall time. The control block tells the main
 * thread which sandbox is running until when.
 */
export class Sandbox implements BridgeOwner, GrowthClient {
  private readonly rt: QuickJSRuntime;
  private readonly ctx: QuickJSContext;
  private readonly bridge: NativeBridge;
  private readonly heap: HeapGauge;
  private readonly cpu: CpuWindow;
  private api?: { dispatch: QuickJSHandle; settle: QuickJSHandle; update: QuickJSHandle };
  /** The prelude's dispatch, called through the FFI (see string-call.ts). */
  private dispatchCall?: StringCall;
  /** Calls answered during the current run, posted when it ends (see run). */
  private readonly answered: Answered[] = [];
  /** ES module or CommonJS, as decided at load (see load). */
  format?: 'module' | 'commonjs';
  private readonly active = new Map<number, ActiveCall>();
  /** The call whose hook is being entered (its synchronous part runs now), if any. */
  private dispatching: number | undefined;
  grants: SandboxGrants;
  caps: Set<string>;
  private sliceDeadline = 0;
  private interrupted = false;
  /** The thread's CPU clock when the current run started, and the CPU milliseconds that run may use. */
  private runCpuStart = 0;
  private runCpuAllowed = Infinity;
  /**
   * `performance.now()` before which the current run cannot have used `runCpuAllowed`: a thread uses no more CPU
   * time than the wall time that passes, so the CPU clock is only read once this is reached (see overBudget).
   */
  private cpuCheckAt = Infinity;
  private running = false;
  /** The current run was interrupted because the window's CPU budget ran out (not a call's deadline). */
  private budgetSpent = false;
  private readonly clock = threadClock();
  private disposed = false;
  private backgroundQueued = false;
  /** Highest share of QuickJS's own memory limit seen during the current calls. */
  private countedPeak = 0;
  private lastMeasure = { at: 0, allocations: 0, bytes: 0 };
  /**
   * WebAssembly memory this sandbox made the worker grow, ever. The heap measure (heap.ts) does not see strings,
   * so growth is what bounds them: it never shrinks, and once it passes memory_mb the memory grows no further
   * for this sandbox.
   */
  private grown = 0;
  /** The last measure found the heap over memory_mb: calls fail until a measure finds it back under. */
  private overLimit = false;
  /** The memory governor refused to grow for this sandbox during the current calls: an engine-side OOM. */
  private growthRefused = false;
  /** Set once the heap may hold leaked objects (out of memory, stack overflow): never freed in place then. */
  tainted?: 'out_of_memory' | 'stack_overflow';

  constructor(
    module: QuickJSWASMModule,
    readonly setup: SandboxSetup,
    private readonly control: ControlBlock,
    private readonly governor: MemoryGovernor,
    private readonly hooks: SandboxHooks,
  ) {
    this.grants = setup;
    this.caps = new Set(setup.capabilities);
    this.cpu = new CpuWindow(setup.cpu, setup.timeoutMs);
    this.rt = module.newRuntime();
    this.rt.setMemoryLimit(setup.memoryBytes);
    this.rt.setMaxStackSize(MAX_STACK_BYTES);
    this.rt.setInterruptHandler(() => this.onInterruptPoll());
    this.ctx = this.rt.newContext();
    this.heap = new HeapGauge(this.rt, this.ctx, setup.memoryBytes);
    this.bridge = new NativeBridge(this.ctx, this);
  }

  get installationId(): string {
    return this.setup.installationId;
  }

  get cpuMs(): number {
    return this.cpu.total;
  }

  /**
   * Evaluates the prelude and the plugin; throws StartupError with a readable message. The runner is CommonJS
   * unless it has ES module syntax, Node's rule for files that do not say: compiled as the body of
   * `function (exports, require, module, __filename, __dirname)` first, and evaluated as an ES module only when
   * that fails and the text has `import` or `export` in it.
   */
  load(code: string, filename: string): void {
    const ctx = this.ctx;
    const owned: QuickJSHandle[] = [];
    const own = (handle: QuickJSHandle) => (owned.push(handle), handle);
    // The prelude is ours, not the plugin's: it runs on a deadline of its own (a worker just spawned on a loaded
    // machine can take longer than a short timeout_ms for it); the runner then gets the plugin's timeout_ms.
    this.enter(Date.now() + PRELUDE_DEADLINE_MS);
    try {
      const prelude = own(
        this.unwrap(ctx.evalCode(PRELUDE_SOURCE, 'plughub:prelude.js', { type: 'global' }), 'prelude'),
      );
      const native = own(this.bridge.create());
      const setupText = own(ctx.newString(JSON.stringify(this.setup)));
      const api = own(this.unwrap(ctx.callFunction(prelude, ctx.undefined, native, setupText), 'prelude'));
      this.api = {
        dispatch: ctx.getProp(api, 'dispatch'),
        settle: ctx.getProp(api, 'settle'),
        update: ctx.getProp(api, 'update'),
      };
      this.dispatchCall = new StringCall(ctx, this.api.dispatch);
      this.enter(Date.now() + this.grants.timeoutMs);
      const factory = ctx.evalCode(`${COMMONJS_HEAD}${code}\n})`, filename, { type: 'global' });
      if (factory.error && /\b(?:import|export)\b/.test(code)) {
        factory.error.dispose();
        this.format = 'module';
        let namespace = own(this.unwrap(ctx.evalCode(code, filename, { type: 'module', strict: true }), 'runner'));
        this.drainJobs();
        // Depending on the QuickJS build, a module evaluates to its namespace or to a promise of it.
        if (isThenable(ctx, namespace)) {
          const state = ctx.getPromiseState(namespace);
          if (state.type === 'pending') throw new StartupError('runner: top-level await did not settle');
          const settled = state.type === 'fulfilled' ? { value: state.value } : { error: state.error };
          namespace = own(this.unwrap(settled, 'runner'));
        }
        const register = own(ctx.getProp(api, 'registerModule'));
        own(this.unwrap(ctx.callFunction(register, ctx.undefined, namespace), 'runner'));
      } else {
        this.format = 'commonjs';
        const fn = own(this.unwrap(factory, 'runner'));
        const register = own(ctx.getProp(api, 'registerCommonJs'));
        const name = own(ctx.newString(filename));
        own(this.unwrap(ctx.callFunction(register, ctx.undefined, fn, name), 'runner'));
        this.drainJobs();
      }
      this.lastMeasure = { at: Date.now(), allocations: this.heap.allocations(), bytes: this.safeMeasure() ?? 0 };
    } finally {
      for (const handle of owned) if (handle.alive) handle.dispose();
      this.leave();
    }
  }

  call(msg: CallMessage): void {
    const { id, hook, timeoutMs, requestId } = msg;
    const now = Date.now();
    if (this.cpu.remaining(now) <= 0) {
      post({ t: 'result', id, outcome: 'error', error: this.budgetError() });
      return;
    }
    if (this.overLimit) {
      this.checkpoint(); // the plugin may have let go of memory since
      if (this.overLimit) {
        post({ t: 'result', id, outcome: 'error', error: memoryError('heap_over_limit') });
        return;
      }
    }
    // The call's clock starts here, when the worker starts it, not when the main thread sent it.
    if (this.active.size === 0) {
      this.countedPeak = 0;
      this.growthRefused = false;
    }
    const call: ActiveCall = { id, hook, deadline: now + timeoutMs, cpuMs: 0, requestId };
    this.active.set(id, call);
    // One string in, one string out (see dispatch in prelude.ts): a handle per field costs more than the parse.
    // The string arrived from the main thread as the tail of the call message, ready to hand over.
    this.run(() => {
      this.dispatching = id;
      try {
        const result = this.dispatchCall!.call(msg.request);
        if (result.error) this.failFromHandle(id, result.error);
        else if (result.value !== 'p') this.answer(id, result.value);
      } catch (error) {
        // The memory governor refused the growth the argument needed: this sandbox's memory is spent, the engine
        // is intact (nothing ran).
        if (!(error instanceof ArgumentRefused)) throw error;
        this.finish(id, 'error', undefined, memoryError('out_of_memory'));
      } finally {
        this.dispatching = undefined;
      }
    });
    if (this.active.get(id) === call) {
      const left = Math.max(0, call.deadline - Date.now());
      call.timer = setTimeout(() => this.finish(id, 'timeout', undefined, timeoutError(timeoutMs)), left + 5);
    }
  }

  /**
   * A call's answer as the prelude encodes it: the value's JSON, 'u' (no value), 'e' + JSON error info. JSON text
   * starts with none of 'u', 'e' and 'p' (the dispatch's "pending"), so the value is the answer as it is.
   */
  answer(id: number, answer: string): void {
    const first = answer.charCodeAt(0);
    if (first === 0x65 /* e */) this.fail(id, parseErrorInfo(answer.slice(1)));
    else if (answer === 'u') this.finish(id, 'ok', undefined, undefined);
    else this.finish(id, 'ok', answer, undefined);
  }

  /**
   * The request of the call the running code belongs to: the call whose hook is being entered, else the only
   * active call. With several calls in flight, a promise continuation cannot be told apart: undefined, never a
   * guess.
   */
  currentRequestId(): string | undefined {
    if (this.dispatching !== undefined) return this.active.get(this.dispatching)?.requestId;
    if (this.active.size !== 1) return undefined;
    for (const call of this.active.values()) return call.requestId;
    return undefined;
  }

  hostResult(hostId: number, ok: boolean, value: string | undefined, error: WireError | undefined): void {
    if (this.disposed) return;
    this.bridge.hostSettled();
    const ctx = this.ctx;
    const owned = [ctx.newNumber(hostId)];
    if (ok && value !== undefined) owned.push(ctx.newString(value));
    if (!ok)
      owned.push(
        ctx.newString(
          JSON.stringify({ name: errorName(error), code: error?.code, reason: error?.reason, message: error?.message }),
        ),
      );
    const text = ok && value === undefined ? ctx.undefined : owned[1];
    this.run(() => {
      const result = ctx.callFunction(this.api!.settle, ctx.undefined, owned[0], ok ? ctx.true : ctx.false, text);
      (result.error ?? result.value).dispose();
    });
    for (const handle of owned) if (handle.alive) handle.dispose();
  }

  /** New grants on a live sandbox: capabilities and config at once, the memory limit from the next allocation. */
  reconfigure(grants: SandboxGrants): void {
    this.grants = grants;
    this.caps = new Set(grants.capabilities);
    this.cpu.update(this.setup.cpu, grants.timeoutMs);
    this.rt.setMemoryLimit(grants.memoryBytes);
    this.overLimit = true; // measure at the next call against the new limit
    const { capabilities, config } = grants;
    const text = this.ctx.newString(JSON.stringify({ capabilities, config, grants: grants.grants }));
    // The prelude's update is ours, not plugin code: it runs outside the CPU budget, with a short deadline.
    this.enter(Date.now() + 1000);
    try {
      const result = this.ctx.callFunction(this.api!.update, this.ctx.undefined, text);
      (result.error ?? result.value).dispose();
    } finally {
      this.leave();
      text.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Calls still running are answered now: left unanswered, the main thread would wait for them forever.
    for (const call of this.active.values()) {
      if (call.timer) clearTimeout(call.timer);
      const error = {
        code: 'PLUGIN_KILLED',
        message: 'the sandbox was unloaded while the call ran',
        reason: 'unloaded',
      };
      post({ t: 'result', id: call.id, outcome: 'killed', error, cpuMs: call.cpuMs });
    }
    this.active.clear();
    if (this.tainted) {
      // After an out-of-memory or a stack overflow QuickJS can leave unreachable objects behind, and
      // JS_FreeRuntime then aborts the whole WASM module on its leak assertion (measured). Such a heap is
      // abandoned, never freed in place, and accounted at its real size.
      this.hooks.onAbandoned(this, this.safeMeasure() ?? this.grants.memoryBytes);
      return;
    }
    this.enter(Date.now() + 1000);
    try {
      this.dispatchCall?.dispose();
      if (this.api) for (const handle of Object.values(this.api)) handle.dispose();
      this.ctx.dispose();
      this.rt.dispose();
    } catch (error) {
      // Seen on JS_FreeRuntime's leak assertion: the module aborted while freeing this heap alone.
      this.hooks.onUnsafe(this, 'free_failed', error);
    } finally {
      this.leave();
    }
  }

  // ---------------------------------------------------------------- running QuickJS code

  /**
   * Runs `fn` and then the job queue within a slice (see the class comment); counts the CPU it took. The thread's
   * CPU clock is read twice per run, at its start and its end: the interrupt poll reads it only once the run has
   * lasted as long in wall time as the CPU it may use, and a call answered during the run is posted when the run
   * ends (or before more promise jobs run, see drainJobs), charged the run's CPU: its answer needs no reading of
   * its own.
   */
  private run(fn: () => void): void {
    if (this.disposed) return;
    const now = Date.now();
    const left = this.cpu.remaining(now);
    if (left <= 0) return this.exhausted();
    this.enter(this.active.size > 0 ? this.earliestDeadline() : now + this.setup.cpu.backgroundSliceMs);
    this.runCpuAllowed = left;
    this.runCpuStart = this.clock.now();
    this.cpuCheckAt = performance.now() + left;
    this.running = true;
    let failure: { error: unknown } | undefined;
    let jobsLeft = false;
    try {
      fn();
      jobsLeft = this.drainJobs();
    } catch (error) {
      failure = { error };
    } finally {
      this.leave();
      const spent = this.clock.now() - this.runCpuStart;
      this.running = false;
      this.runCpuAllowed = Infinity;
      this.cpuCheckAt = Infinity;
      this.cpu.add(spent);
      for (const call of this.active.values()) call.cpuMs += spent;
      this.postAnswered(spent, true);
    }
    if (failure) return this.unsafe(failure.error);
    if (this.disposed) return;
    this.checkpoint();
    if (this.cpu.remaining(Date.now()) <= 0) return this.exhausted();
    if (jobsLeft) this.queueBackground();
  }

  private enter(deadline: number): void {
    this.sliceDeadline = deadline;
    this.interrupted = false;
    this.budgetSpent = false;
    this.control.enter(this.setup.slot, deadline);
    this.governor.enter(this);
  }

  private leave(): void {
    this.governor.leave();
    this.control.leave();
  }

  /** Growth is refused once what the heap last measured plus what it grew since exceeds `memory_mb`. */
  allowGrowth(bytes: number): boolean {
    if (Math.max(this.lastMeasure.bytes, this.grown) > this.grants.memoryBytes) {
      this.growthRefused = true;
      return false;
    }
    this.grown += bytes;
    return true;
  }

  private onInterruptPoll(): boolean {
    const share = this.heap.countedShare();
    if (share > this.countedPeak) this.countedPeak = share;
    if (Date.now() <= this.sliceDeadline && !this.overBudget()) return false;
    this.interrupted = true;
    return true;
  }

  /** The current run used the CPU that was left of the window's budget (noted in `budgetSpent`). */
  private overBudget(): boolean {
    if (performance.now() < this.cpuCheckAt) return false;
    const used = this.clock.now() - this.runCpuStart;
    if (used <= this.runCpuAllowed) {
      this.cpuCheckAt = performance.now() + (this.runCpuAllowed - used);
      return false;
    }
    this.budgetSpent = true;
    return true;
  }

  /** Runs the pending promise jobs within the slice; true when some are left for a later one (see run). */
  private drainJobs(): boolean {
    while (!this.disposed && this.rt.hasPendingJob()) {
      // Calls answered so far go out before more jobs run: their answer does not wait for other calls' work.
      if (this.answered.length > 0) this.postAnswered(this.clock.now() - this.runCpuStart, false);
      if (Date.now() > this.sliceDeadline || this.overBudget()) {
        this.interrupted = true;
      } else {
        const result = this.rt.executePendingJobs(JOB_BATCH);
        if (result.error) {
          this.noteFailure(describeHandle(result.error.context, result.error));
          result.error.dispose();
        }
      }
      if (this.interrupted) {
        this.expireOverdue();
        // Only a call still within its deadline earns more time; background work waits for its next slice.
        if (this.active.size === 0 || this.budgetSpent) return true;
        this.sliceDeadline = this.earliestDeadline();
        this.interrupted = false;
        this.control.extend(this.sliceDeadline);
      }
    }
    if (this.interrupted) this.expireOverdue();
    return false;
  }

  /** Promise jobs left when a slice ended run later, in their own slice, after other messages had their turn. */
  private queueBackground(): void {
    if (this.backgroundQueued) return;
    this.backgroundQueued = true;
    setImmediate(() => {
      this.backgroundQueued = false;
      if (!this.disposed && this.rt.hasPendingJob()) this.run(() => undefined);
    });
  }

  /** The CPU budget of the window is spent: active calls fail, and the installation is charged once per window. */
  private exhausted(): void {
    for (const call of [...this.active.values()]) this.finish(call.id, 'error', undefined, this.budgetError());
    if (this.cpu.charged) return;
    this.cpu.charged = true;
    const { windowMs, budgetMs } = this.setup.cpu;
    post({
      t: 'charge',
      installationId: this.installationId,
      reason: 'cpu_budget',
      message: `used its CPU budget of ${Math.max(budgetMs, this.grants.timeoutMs)} ms per ${windowMs} ms`,
      totalCpuMs: this.cpu.total,
    });
  }

  private budgetError(): WireError {
    return limitError('cpu_budget', 'the CPU budget of this window is spent; try again later');
  }

  /** A failure the engine reported outside a call result (a job): it may taint the heap. */
  private noteFailure(info: ErrorInfo): void {
    const kind = classify(info, this.growthRefused ? 1 : this.countedPeak);
    if (kind === 'out_of_memory' || kind === 'stack_overflow') this.tainted ??= kind;
  }

  /** A host exception out of QuickJS: a WebAssembly trap, or the thread's native stack overflowing inside it. */
  private unsafe(error: unknown): void {
    this.tainted ??= 'stack_overflow';
    const kind = isWasmTrap(error) ? 'trap' : 'native_stack';
    const failure = { code: 'PLUGIN_ERROR', message: `the sandbox engine failed (${kind})`, reason: kind };
    for (const call of [...this.active.values()]) this.finish(call.id, 'error', undefined, failure);
    this.hooks.onUnsafe(this, kind, error);
  }

  /**
   * After a run that allocated, the real heap is measured (QuickJS's own limit undercounts, see heap.ts): a heap
   * over `memory_mb` fails the calls in flight with PLUGIN_MEMORY_LIMIT.
   */
  private checkpoint(): void {
    const allocations = this.heap.allocations();
    const now = Date.now();
    const grown = Math.abs(allocations - this.lastMeasure.allocations);
    const due = grown >= MEASURE_AFTER_ALLOCATIONS || (grown > 0 && now - this.lastMeasure.at > MEASURE_AFTER_MS);
    if (!due && !this.overLimit) return;
    const bytes = this.safeMeasure();
    if (bytes === undefined) return;
    this.lastMeasure = { at: now, allocations, bytes };
    this.overLimit = bytes > this.grants.memoryBytes;
    if (!this.overLimit) return;
    const error = memoryError('heap_over_limit');
    for (const call of [...this.active.values()]) this.finish(call.id, 'error', undefined, error);
  }

  private safeMeasure(): number | undefined {
    try {
      return this.heap.measured();
    } catch {
      return undefined;
    }
  }

  private earliestDeadline(): number {
    let min = Infinity;
    for (const call of this.active.values()) min = Math.min(min, call.deadline);
    return min;
  }

  /** The interrupt handler fired: every call whose budget is spent ends as a timeout, whatever the plugin does next. */
  private expireOverdue(): void {
    const now = Date.now();
    for (const call of [...this.active.values()]) {
      if (call.deadline <= now) this.finish(call.id, 'timeout', undefined, timeoutError(this.grants.timeoutMs));
    }
  }

  private failFromHandle(id: number, handle: QuickJSHandle): void {
    const info = describeHandle(this.ctx, handle);
    handle.dispose();
    if (this.budgetSpent) {
      this.finish(id, 'error', undefined, this.budgetError());
    } else if (this.interrupted || info.message === 'interrupted') {
      this.finish(id, 'timeout', undefined, timeoutError(this.grants.timeoutMs));
    } else this.fail(id, info);
  }

  /** A call failed with `info`: out-of-memory and stack overflows are told apart by the engine's state. */
  fail(id: number, info: ErrorInfo): void {
    if (info.missingHook) {
      return this.finish(id, 'error', undefined, {
        code: 'PLUGIN_ERROR',
        message: `${info.name}: ${info.message}`.slice(0, 4096),
        reason: 'hook_missing',
      });
    }
    const kind = classify(info, this.growthRefused ? 1 : Math.max(this.countedPeak, this.heap.countedShare()));
    if (kind === 'out_of_memory' || kind === 'stack_overflow') this.tainted ??= kind;
    switch (kind) {
      case 'out_of_memory':
        return this.finish(id, 'error', undefined, memoryError('out_of_memory'));
      case 'stack_overflow':
        return this.finish(id, 'error', undefined, {
          code: 'PLUGIN_ERROR',
          message: `${info.name}: ${info.message}`,
          reason: 'stack_overflow',
        });
      case 'interrupted':
        if (this.budgetSpent) return this.finish(id, 'error', undefined, this.budgetError());
        return this.finish(id, 'timeout', undefined, timeoutError(this.grants.timeoutMs));
      case 'error':
        return this.finish(id, 'error', undefined, {
          code: 'PLUGIN_ERROR',
          message: `${info.name}: ${info.message}`.slice(0, 4096),
        });
    }
  }

  finish(id: number, outcome: HookOutcome, value: string | undefined, error: WireError | undefined): void {
    const call = this.active.get(id);
    if (!call) return; // already timed out, or the sandbox was unloaded
    if (call.timer) clearTimeout(call.timer);
    this.active.delete(id);
    // The last call answered: whatever its jobs do next runs on a background slice, not on its deadline.
    if (this.active.size === 0 && this.sliceDeadline > Date.now() + this.setup.cpu.backgroundSliceMs) {
      this.sliceDeadline = Date.now() + this.setup.cpu.backgroundSliceMs;
      this.control.extend(this.sliceDeadline);
    }
    if (value !== undefined) {
      const bad = exceeds(value, this.setup.bounds);
      if (bad) {
        outcome = 'error';
        value = undefined;
        error = limitError(
          bad === 'too_large' ? 'reply_too_large' : 'reply_too_deep',
          'the reply is too large or too deep',
        );
      }
    }
    if (call.hook === 'onRequest' && outcome === 'ok') {
      // Checked here, so the main thread only ever receives a well-formed, bounded answer.
      const checked = checkResponse(value, this.setup.responses);
      if ('problem' in checked) {
        outcome = 'error';
        value = undefined;
        error = { code: 'PLUGIN_ERROR', message: checked.problem.message, reason: checked.problem.reason };
      } else value = JSON.stringify(checked.response);
    }
    if (error?.code === 'PLUGIN_TIMEOUT') outcome = 'timeout';
    const answered: Answered = { id, outcome, value, error, cpuMs: call.cpuMs };
    // Answered during a run: posted when it ends, with its CPU time (see run).
    if (this.running) this.answered.push(answered);
    else this.postAnswer(answered, 0);
  }

  /**
   * Posts the calls answered during the current run, charged `runCpuMs`: the run's CPU so far, or all of it once
   * it has ended (`ended`: the window's total includes it then).
   */
  private postAnswered(runCpuMs: number, ended: boolean): void {
    if (this.answered.length === 0) return;
    const total = ended ? this.cpu.total : this.cpu.total + runCpuMs;
    for (const answered of this.answered) this.postAnswer(answered, runCpuMs, total);
    this.answered.length = 0;
  }

  private postAnswer(
    { id, outcome, value, error, cpuMs }: Answered,
    runCpuMs: number,
    totalCpuMs = this.cpu.total,
  ): void {
    if (outcome === 'ok' && error === undefined) {
      post(encodeAnswer(id, cpuMs + runCpuMs, totalCpuMs, this.lastMeasure.bytes, value));
      return;
    }
    // Only the fields that are there: an undefined one would be cloned all the same.
    const result: Extract<FromWorker, { t: 'result' }> = { t: 'result', id, outcome, cpuMs: cpuMs + runCpuMs };
    if (value !== undefined) result.value = value;
    if (error !== undefined) result.error = error;
    if (this.lastMeasure.bytes) result.memoryBytes = this.lastMeasure.bytes;
    result.totalCpuMs = totalCpuMs;
    post(result);
  }

  private unwrap(result: { value: QuickJSHandle } | { error: QuickJSHandle }, stage: string): QuickJSHandle {
    if ('error' in result && result.error) {
      const info = describeHandle(this.ctx, result.error);
      result.error.dispose();
      if (this.interrupted || info.message === 'interrupted') {
        throw new StartupError(`${stage}: did not finish within ${this.grants.timeoutMs} ms`, 'timeout');
      }
      const kind = classify(info, this.heap.countedShare());
      if (kind === 'out_of_memory' || kind === 'stack_overflow') this.tainted ??= kind;
      throw new StartupError(`${stage}: ${info.name}: ${info.message}`, kind === 'out_of_memory' ? 'memory' : 'error');
    }
    return (result as { value: QuickJSHandle }).value;
  }
}

/** The runner as the body of a CommonJS factory; on the first line, so line numbers stay the runner's own. */
const COMMONJS_HEAD = '(function (exports, require, module, __filename, __dirname) {';

function isThenable(ctx: QuickJSContext, handle: QuickJSHandle): boolean {
  const then = ctx.getProp(handle, 'then');
  const result = ctx.typeof(then) === 'function';
  then.dispose();
  return result;
}
