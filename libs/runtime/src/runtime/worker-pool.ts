import { availableParallelism } from 'node:os';
import { WorkerHost, type WorkerHostHandlers } from '../sandbox/worker-host.js';

/**
 * The sandbox worker threads. Several sandboxes share a worker. Measured (bench/runtime.bench.ts, 2-core VM): a
 * sandbox costs ~0.4 MB RSS and ~1.5 ms to load in a warm worker, while a worker thread of its own costs ~3 MB and
 * ~55 ms to spawn (plain Node; several hundred ms from source through tsx), which would blow the cold-start budget.
 * The price of sharing: a CPU-bound plugin delays its worker's neighbours until its interrupt deadline
 * (limits.timeout_ms); other workers and the main thread are unaffected. New sandboxes go to the least loaded worker.
 */
export class WorkerPool {
  readonly workers: WorkerHost[] = [];
  readonly maxWorkers: number;

  constructor(
    private readonly handlers: WorkerHostHandlers,
    workers?: number,
  ) {
    this.maxWorkers = Math.max(1, workers ?? Math.min(4, Math.max(2, availableParallelism())));
  }

  /** Starts every worker thread now instead of on the first load. */
  async warmUp(): Promise<void> {
    while (this.workers.length < this.maxWorkers) this.spawn();
    await Promise.all(this.workers.map((w) => w.ready));
  }

  /** A new worker while the pool is not full and every worker is in use, else the least loaded one. */
  pick(): WorkerHost {
    const alive = this.workers.filter((w) => w.alive);
    if (alive.length < this.maxWorkers && alive.every((w) => w.installations.size > 0)) return this.spawn();
    return alive.reduce((a, b) => (b.installations.size < a.installations.size ? b : a));
  }

  /** Forgets a worker that exited. */
  remove(host: WorkerHost): void {
    const index = this.workers.indexOf(host);
    if (index !== -1) this.workers.splice(index, 1);
  }

  async terminateAll(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private spawn(): WorkerHost {
    const worker = new WorkerHost(this.handlers);
    this.workers.push(worker);
    return worker;
  }
}
