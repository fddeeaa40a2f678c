import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromWorker, HookOutcome, ToWorker, WireError } from './protocol.js';

type ResultMessage = Extract<FromWorker, { t: 'result' }>;
type Request = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

export interface WorkerResult {
  outcome: HookOutcome;
  value?: string;
  error?: WireError;
  memoryBytes?: number;
}

export interface WorkerHostHandlers {
  onHost(host: WorkerHost, message: Extract<FromWorker, { t: 'host' }>): void;
  onLog(message: Extract<FromWorker, { t: 'log' }>): void;
  onEmit(message: Extract<FromWorker, { t: 'emit' }>): void;
  /** The worker exited (crash or watchdog kill); every request in flight has already been answered `killed`. */
  onExit(host: WorkerHost, reason: string): void;
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

/** Main-thread handle of one sandbox worker: request/response matching, a watchdog, and exit handling. */
export class WorkerHost {
  readonly id = nextWorkerId++;
  /** Installation ids whose sandbox lives in this worker. */
  readonly installations = new Set<string>();
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (r: WorkerResult) => void; reject: (e: Error) => void; watchdog?: NodeJS.Timeout }
  >();
  private nextRequestId = 1;
  private exited = false;

  constructor(private readonly handlers: WorkerHostHandlers) {
    this.worker = new Worker(workerEntry(), { name: `plughub-sandbox-${this.id}` });
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        if (msg.t !== 'ready') return;
        this.worker.off('message', onMessage);
        this.worker.off('error', reject);
        resolve();
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
    });
    this.ready.catch(() => undefined); // surfaced through request()
    this.worker.on('message', (msg: FromWorker) => this.onMessage(msg));
    this.worker.on('error', (error) => this.onExit(`worker error: ${error.message}`));
    this.worker.on('exit', (code) => this.onExit(`worker exited with code ${code}`));
  }

  get alive(): boolean {
    return !this.exited;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /**
   * Sends a request and resolves with the worker's answer. If none arrives within `watchdogMs` the worker is
   * assumed stuck and terminated, which answers every request in flight with `killed`.
   */
  async request(message: Request, watchdogMs?: number): Promise<WorkerResult> {
    await this.ready;
    if (this.exited) return killed('the sandbox worker is gone');
    const id = this.nextRequestId++;
    return new Promise<WorkerResult>((resolve, reject) => {
      const entry: { resolve: (r: WorkerResult) => void; reject: (e: Error) => void; watchdog?: NodeJS.Timeout } = {
        resolve,
        reject,
      };
      if (watchdogMs !== undefined) {
        entry.watchdog = setTimeout(
          () => this.kill(`no answer within ${watchdogMs} ms; worker terminated`),
          watchdogMs,
        );
      }
      this.pending.set(id, entry);
      if (this.pending.size === 1) this.worker.ref(); // keep the process alive while an answer is owed
      this.worker.postMessage({ ...message, id } as ToWorker);
    });
  }

  /** Fire-and-forget message (host call results). */
  send(message: Extract<ToWorker, { t: 'host-result' }>): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  kill(reason: string): void {
    if (this.exited) return;
    this.onExit(reason);
    void this.worker.terminate();
  }

  async terminate(): Promise<void> {
    if (this.exited) return;
    this.exited = true;
    this.failPending('runtime closed');
    await this.worker.terminate();
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.t) {
      case 'result':
        return this.settle(msg);
      case 'host':
        return this.handlers.onHost(this, msg);
      case 'log':
        return this.handlers.onLog(msg);
      case 'emit':
        return this.handlers.onEmit(msg);
      case 'fatal':
        return this.kill(`sandbox worker stopped: ${msg.reason}`);
    }
  }

  private settle(msg: ResultMessage): void {
    const entry = this.pending.get(msg.id);
    if (!entry) return;
    this.pending.delete(msg.id);
    if (this.pending.size === 0) this.worker.unref();
    clearTimeout(entry.watchdog);
    entry.resolve({ outcome: msg.outcome, value: msg.value, error: msg.error, memoryBytes: msg.memoryBytes });
  }

  private failPending(reason: string): void {
    for (const entry of this.pending.values()) {
      clearTimeout(entry.watchdog);
      entry.resolve(killed(reason));
    }
    this.pending.clear();
  }

  private onExit(reason: string): void {
    if (this.exited) return;
    this.exited = true;
    this.failPending(reason);
    this.handlers.onExit(this, reason);
  }
}

function killed(reason: string): WorkerResult {
  return { outcome: 'killed', error: { code: 'PLUGIN_KILLED', message: reason } };
}
