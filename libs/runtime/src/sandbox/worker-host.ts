import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ControlBlock, decodeAnswer, encodeCall, type CallResult, type FromWorker, type ToWorker } from './protocol.js';

type ResultMessage = CallResult & { id: number };
type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/**
 * The worker thread's native stack. QuickJS's own limit (256 KiB, sandbox.ts) must trip first on every recursion,
 * the parser's included: measured, a parser nesting level takes up to ~32x more native stack than QuickJS counts,
 * so 8 MiB is the least that holds; 32 MiB leaves a factor of four. Only touched pages cost memory.
 */
export const WORKER_STACK_MB = 32;

export interface WorkerResult extends CallResult {
  /** Set when the answer is `killed` because the worker was lost; `culprit` is the installation that caused it. */
  lost?: { culprit?: string };
}

export interface WorkerExit {
  reason: string;
  /** The installation blamed for the loss, when one is. */
  culprit?: string;
}

export interface WorkerHostHandlers {
  onHost(host: WorkerHost, message: Extract<FromWorker, { t: 'host' }>): void;
  onLog(message: Extract<FromWorker, { t: 'log' }>): void;
  onEmit(message: Extract<FromWorker, { t: 'emit' }>): void;
  onCharge(host: WorkerHost, message: Extract<FromWorker, { t: 'charge' }>): void;
  /** The worker asks to be replaced once its sandboxes have moved. */
  onRecycle(host: WorkerHost, exit: WorkerExit): void;
  /** The worker exited (crash, fatal or watchdog); every request in flight has already been answered `killed`. */
  onExit(host: WorkerHost, exit: WorkerExit): void;
}

/**
 * The worker entry next to this file: `.js` in a build; from source (vitest, tsx) the `.ts` file, loaded through a
 * tiny bootstrap that registers tsx inside the worker first. Vitest does not transform worker threads, and on
 * Node 20 `execArgv: ['--import', 'tsx']` does not reach a worker's module loader (measured), hence the bootstrap.
 */
function workerEntry(): URL {
  if (!import.meta.url.endsWith('.ts')) return new URL('./sandbox.worker.js', import.meta.url);
  const entry = new URL('./sandbox.worker.ts', import.meta.url).href;
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxRoot, 'dist/esm/api/index.mjs')).href;
  const bootstrap = `import { register } from ${JSON.stringify(tsxApi)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
}

let nextWorkerId = 1;

interface Pending {
  resolve: (r: WorkerResult) => void;
}

/** How long a worker looks for its next message after one before sleeping (RuntimeOptions.workerSpinMicros). */
export const DEFAULT_WORKER_SPIN_MICROS = 50;

/** Main-thread handle of one sandbox worker: request/response matching, the control block, and exit handling. */
export class WorkerHost {
  readonly id = nextWorkerId++;
  /** Installation ids whose sandbox lives in this worker. */
  readonly installations = new Set<string>();
  /** Slot number (see ControlBlock) → installation id, for blaming whoever holds the worker. */
  readonly slots = new Map<number, string>();
  /** Set for a quarantine worker: it hosts this installation only. */
  readonly dedicatedTo?: string;
  /** No new sandboxes go here; it is terminated once the last one has moved away. */
  draining = false;
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly control: ControlBlock;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private exited = false;
  /** Set once the worker said it is ready: requests go out without waiting on `ready` then. */
  private started = false;

  constructor(
    private readonly handlers: WorkerHostHandlers,
    options: { dedicatedTo?: string; spinMicros?: number } = {},
  ) {
    this.dedicatedTo = options.dedicatedTo;
    this.control = new ControlBlock(new SharedArrayBuffer(ControlBlock.BYTES));
    this.worker = new Worker(workerEntry(), {
      name: `plughub-sandbox-${this.id}`,
      workerData: { control: this.control.buffer, spinMicros: options.spinMicros ?? DEFAULT_WORKER_SPIN_MICROS },
      resourceLimits: { stackSizeMb: WORKER_STACK_MB },
      // Node 20 calls WASI experimental; the worker's CPU clock is read through it (sandbox/worker/thread-clock.ts).
      // Nothing else in the worker needs the parent's options, so it gets this one alone.
      execArgv: ['--disable-warning=ExperimentalWarning'],
    });
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        if (msg.t !== 'ready') return;
        this.started = true;
        this.worker.off('message', onMessage);
        this.worker.off('error', reject);
        resolve();
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
    });
    this.ready.catch(() => undefined); // surfaced through request()
    this.worker.on('message', (msg: FromWorker | string) =>
      typeof msg === 'string' ? this.settle(decodeAnswer(msg)) : this.onMessage(msg),
    );
    this.worker.on('error', (error) =>
      this.onExit({ reason: `worker error: ${error.message}`, culprit: this.holder() }),
    );
    this.worker.on('exit', (code) =>
      this.onExit({ reason: `worker exited with code ${code}`, culprit: this.holder() }),
    );
  }

  get alive(): boolean {
    return !this.exited;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * The sandbox executing QuickJS code past its deadline by more than `graceMs`, if any: the worker is stuck in
   * it (a built-in that does not poll the interrupt handler, or an engine bug).
   */
  overdue(now: number, graceMs: number): string | undefined {
    const running = this.control.read();
    if (!running || now <= running.deadline + graceMs) return undefined;
    return this.slots.get(running.slot) ?? `slot ${running.slot}`;
  }

  /**
   * Sends a request and resolves with the worker's answer (`killed` if the worker is lost first). The message is
   * posted as given, with its `id` set: no copy on the way out.
   */
  request(message: Request): Promise<WorkerResult> {
    if (!this.started) return this.ready.then(() => this.request(message));
    if (this.exited) return Promise.resolve(killed('the sandbox worker is gone', {}));
    const id = this.nextRequestId++;
    (message as { id?: number }).id = id;
    return this.expect(id, message);
  }

  /** A hook call to the sandbox in `slot`, posted as one string (see encodeCall). */
  call(
    slot: number,
    hook: string,
    payload: string | undefined,
    timeoutMs: number,
    requestId: string | undefined,
  ): Promise<WorkerResult> {
    if (!this.started) return this.ready.then(() => this.call(slot, hook, payload, timeoutMs, requestId));
    if (this.exited) return Promise.resolve(killed('the sandbox worker is gone', {}));
    const id = this.nextRequestId++;
    return this.expect(id, encodeCall(slot, id, timeoutMs, requestId, hook, payload));
  }

  /** Posts `message` (its id already set) and waits for the answer to `id`. */
  private expect(id: number, message: Request | string): Promise<WorkerResult> {
    return new Promise<WorkerResult>((resolve) => {
      this.pending.set(id, { resolve });
      if (this.pending.size === 1) this.worker.ref(); // keep the process alive while an answer is owed
      this.worker.postMessage(message);
    });
  }

  /** Fire-and-forget message (host call results). */
  send(message: Extract<ToWorker, { t: 'host-result' }>): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  kill(reason: string, culprit?: string): void {
    if (this.exited) return;
    this.onExit({ reason, culprit });
    void this.worker.terminate();
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.failPending({ reason: 'runtime closed' });
    await this.worker.terminate();
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.t) {
      case 'ready':
        return;
      case 'result':
        return this.settle(msg);
      case 'host':
        return this.handlers.onHost(this, msg);
      case 'log':
        return this.handlers.onLog(msg);
      case 'emit':
        return this.handlers.onEmit(msg);
      case 'charge':
        return this.handlers.onCharge(this, msg);
      case 'recycle':
        return this.handlers.onRecycle(this, { reason: msg.reason, culprit: msg.culprit });
      case 'fatal':
        return this.kill(`sandbox worker stopped: ${msg.reason}`, msg.culprit);
    }
  }

  /** The installation holding the worker right now (it was running when the worker died). */
  private holder(): string | undefined {
    const running = this.control.read();
    return running && this.slots.get(running.slot);
  }

  private settle(msg: ResultMessage): void {
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker.unref();
    entry.resolve(msg); // a WorkerResult as it is (its `id`, and `t` on an object, are not read past here)
  }

  private failPending(exit: WorkerExit): void {
    for (const entry of this.pending.values()) entry.resolve(killed(exit.reason, { culprit: exit.culprit }));
    this.pending.clear();
  }

  private onExit(exit: WorkerExit): void {
    if (this.exited) return;
    this.exited = true;
    this.failPending(exit);
    this.handlers.onExit(this, exit);
  }
}

function killed(reason: string, lost: { culprit?: string }): WorkerResult {
  return { outcome: 'killed', error: { code: 'PLUGIN_KILLED', message: reason, reason: 'worker_lost' }, lost };
}
