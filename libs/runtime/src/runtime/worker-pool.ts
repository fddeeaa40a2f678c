import { availableParallelism } from 'node:os';
import { DEFAULT_WORKER_SPIN_MICROS, WorkerHost, type WorkerHostHandlers } from '../sandbox/worker-host.js';

/**
 * The sandbox worker threads. Several sandboxes share a worker: a sandbox costs a fraction of a megabyte and a
 * millisecond or two to load in a warm worker, a worker thread of its own ~3 MB and ~55 ms to spawn (plain Node;
 * several hundred ms from source through tsx). A shared worker is one failure domain, which the runtime contains:
 * a CPU-bound plugin holds it at most until its deadline, and whoever makes it be lost is quarantined on a worker
 * of its own (`dedicated`), which does not count against the pool. New sandboxes go to the least loaded worker.
 */
export class WorkerPool {
  readonly workers: WorkerHost[] = [];
  readonly maxWorkers: number;

  constructor(
    private readonly handlers: WorkerHostHandlers,
    workers?: number,
    /** See RuntimeOptions.workerSpinMicros. */
    private readonly spinMicros = DEFAULT_WORKER_SPIN_MICROS,
  ) {
    this.maxWorkers = Math.max(1, workers ?? Math.min(4, Math.max(2, availableParallelism())));
  }

  /** Starts every shared worker thread now instead of on the first load. */
  async warmUp(): Promise<void> {
    while (this.shared().length < this.maxWorkers) this.spawn();
    await Promise.all(this.workers.map((w) => w.ready));
  }

  /** A new worker while the pool is not full and every worker is in use, else the least loaded one. */
  pick(exclude?: WorkerHost): WorkerHost {
    const usable = this.shared().filter((w) => w !== exclude);
    if (usable.length < this.maxWorkers && usable.every((w) => w.installations.size > 0)) return this.spawn();
    if (usable.length === 0) return this.spawn();
    return usable.reduce((a, b) => (b.installations.size < a.installations.size ? b : a));
  }

  /** A worker of its own for a quarantined installation. */
  dedicated(installationId: string): WorkerHost {
    return this.spawn(installationId);
  }

  /** Forgets a worker that exited. */
  remove(host: WorkerHost): void {
    const index = this.workers.indexOf(host);
    if (index !== -1) this.workers.splice(index, 1);
  }

  async terminateAll(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.terminate()));
  }

  private shared(): WorkerHost[] {
    return this.workers.filter((w) => w.alive && !w.draining && w.dedicatedTo === undefined);
  }

  private spawn(dedicatedTo?: string): WorkerHost {
    const worker = new WorkerHost(this.handlers, { dedicatedTo, spinMicros: this.spinMicros });
    this.workers.push(worker);
    return worker;
  }
}
