import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JsonLogger, LogOutput } from '../logging/json-logger.js';
import { Scheduler } from './scheduler.js';

function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = new JsonLogger(new LogOutput('debug', (l) => lines.push(JSON.parse(l) as Record<string, unknown>)));
  return { lines, logger };
}

/** A run that stays in flight until released. */
function gated() {
  const releases: Array<() => void> = [];
  let active = 0;
  let peak = 0;
  let runs = 0;
  const run = async () => {
    runs++;
    active++;
    peak = Math.max(peak, active);
    await new Promise<void>((resolve) => releases.push(resolve));
    active--;
    return runs;
  };
  return { run, releases, peak: () => peak, runs: () => runs };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler', () => {
  it('runs a started job once per interval', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    let runs = 0;
    scheduler.every({ name: 'count', intervalMs: 100, run: () => void runs++ }).start();
    await vi.advanceTimersByTimeAsync(99);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(300);
    expect(runs).toBe(4);
  });

  it('starts no timer for a job that is not started', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    let runs = 0;
    scheduler.every({ name: 'idle', intervalMs: 10, run: () => void runs++ });
    await vi.advanceTimersByTimeAsync(1000);
    expect([runs, vi.getTimerCount()]).toEqual([0, 0]);
  });

  it('waits the interval from the end of a run, so a slow run is never overlapped by the next', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    const g = gated();
    scheduler.every({ name: 'slow', intervalMs: 100, run: g.run }).start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(g.runs()).toBe(1);
    g.releases.shift()!();
    await vi.advanceTimersByTimeAsync(99);
    expect(g.runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect([g.runs(), g.peak()]).toEqual([2, 1]);
  });

  it('adds up to jitterMs to each wait, as the random source says', async () => {
    let draw = 0.5;
    const scheduler = new Scheduler(recordingLogger().logger, () => draw);
    let runs = 0;
    scheduler.every({ name: 'jittered', intervalMs: 100, jitterMs: 40, run: () => void runs++ }).start();
    await vi.advanceTimersByTimeAsync(119);
    expect(runs).toBe(0);
    draw = 0.99;
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(138);
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
  });

  it('logs a failed run with the job name and keeps the schedule', async () => {
    const { lines, logger } = recordingLogger();
    const scheduler = new Scheduler(logger);
    let runs = 0;
    scheduler
      .every({
        name: 'flaky',
        intervalMs: 50,
        run: () => {
          runs++;
          if (runs === 1) throw new Error('database unreachable');
        },
      })
      .start();
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(2);
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ context: 'Scheduler', job: 'flaky', error: 'database unreachable' }),
    ]);
  });

  it('keeps one job failing from touching another', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    let healthy = 0;
    scheduler.every({ name: 'broken', intervalMs: 10, run: () => Promise.reject(new Error('no')) }).start();
    scheduler.every({ name: 'healthy', intervalMs: 10, run: () => void healthy++ }).start();
    await vi.advanceTimersByTimeAsync(100);
    expect(healthy).toBe(10);
  });

  it('gives a direct run its result and its error', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    let fail = false;
    const job = scheduler.every({
      name: 'direct',
      intervalMs: 1000,
      run: () => {
        if (fail) throw new Error('refused');
        return 'done';
      },
    });
    expect(await job.run()).toBe('done');
    fail = true;
    await expect(job.run()).rejects.toThrow(Error);
  });

  it('runs a direct call after the run in progress, sharing that next run among the callers waiting', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    const g = gated();
    const job = scheduler.every({ name: 'shared', intervalMs: 1000, run: g.run });
    const first = job.run();
    const second = job.run();
    const third = job.run();
    await vi.advanceTimersByTimeAsync(0);
    expect(g.runs()).toBe(1);
    g.releases.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(g.runs()).toBe(2);
    g.releases.shift()!();
    expect(await Promise.all([first, second, third])).toEqual([1, 2, 2]);
    expect(g.peak()).toBe(1);
  });

  it('skips a scheduled run while a direct one is in progress', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    const g = gated();
    const job = scheduler.every({ name: 'skip', intervalMs: 100, run: g.run });
    job.start();
    const direct = job.run();
    await vi.advanceTimersByTimeAsync(500);
    expect(g.runs()).toBe(1);
    g.releases.shift()!();
    await direct;
    await vi.advanceTimersByTimeAsync(100);
    expect([g.runs(), g.peak()]).toEqual([2, 1]);
  });

  it('stops a job: no more runs, the run in progress awaited', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    const g = gated();
    const job = scheduler.every({ name: 'stop', intervalMs: 100, run: g.run });
    job.start();
    await vi.advanceTimersByTimeAsync(100);
    let stopped = false;
    const stopping = job.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(stopped).toBe(false);
    g.releases.shift()!();
    await stopping;
    await vi.advanceTimersByTimeAsync(1000);
    expect([g.runs(), job.running, vi.getTimerCount()]).toEqual([1, false, 0]);
  });

  it('stops every job still going at application shutdown', async () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    let runs = 0;
    scheduler.every({ name: 'a', intervalMs: 10, run: () => void runs++ }).start();
    scheduler.every({ name: 'b', intervalMs: 10, run: () => void runs++ }).start();
    expect(scheduler.runningJobs()).toEqual(['a', 'b']);
    scheduler.onApplicationShutdown();
    await vi.advanceTimersByTimeAsync(100);
    expect([runs, scheduler.runningJobs()]).toEqual([0, []]);
  });

  it('refuses an interval that is not positive', () => {
    const scheduler = new Scheduler(recordingLogger().logger);
    expect(() => scheduler.every({ name: 'zero', intervalMs: 0, run: () => undefined })).toThrow(RangeError);
  });
});
