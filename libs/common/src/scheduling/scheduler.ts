import type { OnApplicationShutdown } from '@nestjs/common';
import { JsonLogger } from '../logging/json-logger.js';

/** A periodic job: what it does and how often. */
export interface JobSpec<T> {
  /** Names the job in the log lines of its failures. */
  name: string;
  /** Milliseconds from the end of one run to the start of the next (runs of one job never overlap). */
  intervalMs: number;
  /**
   * Up to this many milliseconds added at random to each wait, so the nodes of a cluster, started together, do not
   * all run the job in the same instant. Default 0.
   */
  jitterMs?: number;
  run(): Promise<T> | T;
}

/**
 * One job of the scheduler. Created stopped: `start()` it in `onApplicationBootstrap` (so a unit spec that builds
 * the class starts no timer), `stop()` it in a shutdown hook (awaited when the owner has more to do once the last
 * run ended: a final flush); the scheduler stops every job still going when the application shuts down.
 */
export class ScheduledJob<T> {
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private current: Promise<T> | null = null;
  private next: Promise<T> | null = null;
  private readonly jitterMs: number;

  constructor(
    private readonly spec: JobSpec<T>,
    private readonly logger: JsonLogger,
    private readonly random: () => number,
  ) {
    if (!Number.isFinite(spec.intervalMs) || spec.intervalMs <= 0)
      throw new RangeError(`job ${spec.name} needs a positive interval, got ${spec.intervalMs}`);
    this.jitterMs = Math.max(0, spec.jitterMs ?? 0);
  }

  get name(): string {
    return this.spec.name;
  }

  /** Whether the job's timer is going (between start and stop). */
  get running(): boolean {
    return this.started;
  }

  /** Starts the timer: the first run comes one interval (plus jitter) from now. Starting twice does nothing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.arm();
  }

  /**
   * Stops the timer; the promise settles when a run in progress has ended (its failure is the log's, not the
   * caller's). Await it only when something must follow the last run (a final flush): a run waiting on an
   * unreachable database can take the driver's whole timeout. Idempotent.
   */
  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([this.current, this.next]);
  }

  /**
   * Runs the job now, outside the schedule, and answers its result (or its error): a run that starts after this
   * call, so the caller sees everything done before it. A run in progress is waited for first (never two at
   * once); callers that come while one waits share the same next run. Works whether or not the timer is going.
   */
  run(): Promise<T> {
    if (this.next) return this.next;
    if (!this.current) return this.begin();
    this.next ??= this.current
      .catch(() => undefined)
      .then(() => {
        this.next = null;
        return this.begin();
      });
    return this.next;
  }

  private begin(): Promise<T> {
    const run = (async () => this.spec.run())().finally(() => {
      if (this.current === run) this.current = null;
    });
    this.current = run;
    return run;
  }

  private arm(): void {
    if (!this.started) return;
    const wait = this.spec.intervalMs + Math.floor(this.random() * this.jitterMs);
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref();
  }

  /** A scheduled run: skipped when a direct run is in progress (its end counts), errors logged, then re-armed. */
  private async tick(): Promise<void> {
    this.timer = null;
    try {
      const inProgress = this.next ?? this.current;
      if (inProgress) await inProgress;
      else await this.begin();
    } catch (err) {
      this.logger.error('A scheduled job failed', { job: this.spec.name, error: errorText(err) });
    } finally {
      this.arm();
    }
  }
}

/**
 * The app's periodic jobs (lease renewal, the kill switch watch, metric flushes, audit pruning …) in one place,
 * so each does not hand-roll its own timer, overlap guard, error isolation and shutdown:
 *
 *   this.job = scheduler.every({ name: 'leases', intervalMs: ttl / 3, jitterMs: 200, run: () => this.round() });
 *   onApplicationBootstrap() { this.job.start(); }
 *
 * Timers are unref'd (a job never keeps the process alive) and use the global timers, so specs drive them with
 * fake timers. A module's job that needs the `Clock` reads it inside `run`.
 */
export class Scheduler implements OnApplicationShutdown {
  private readonly jobs = new Set<ScheduledJob<unknown>>();
  private readonly logger: JsonLogger;

  /** `random` (0 ≤ x < 1) spreads the jitter; specs pass a fixed one. CommonModule provides the app's scheduler. */
  constructor(
    logger: JsonLogger,
    private readonly random: () => number = Math.random,
  ) {
    this.logger = logger.child('Scheduler');
  }

  /** A new job, stopped until `start()`. */
  every<T>(spec: JobSpec<T>): ScheduledJob<T> {
    const job = new ScheduledJob(spec, this.logger, this.random);
    this.jobs.add(job);
    return job;
  }

  /** The jobs whose timer is going, by name (for the tests and diagnostics). */
  runningJobs(): string[] {
    return [...this.jobs].filter((j) => j.running).map((j) => j.name);
  }

  /** Stops every job's timer; a run in progress is not waited for (the database may be closing under it). */
  onApplicationShutdown(): void {
    for (const job of this.jobs) void job.stop();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
