import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Semaphore } from './semaphore.js';

/** A task that stays in flight until released, recording how many run at once. */
function gate(sem: Semaphore) {
  let inFlight = 0;
  let peak = 0;
  const releases: Array<() => void> = [];
  const task = () =>
    sem.run(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
    });
  return { task, releases, peak: () => peak };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('Semaphore', () => {
  it('runs at most `limit` tasks at once and queues the rest', async () => {
    const sem = new Semaphore(2);
    const g = gate(sem);
    const all = Array.from({ length: 5 }, g.task);
    await settle();
    expect([sem.active, sem.waiting, g.releases.length]).toEqual([2, 3, 2]);
    while (g.releases.length) {
      g.releases.shift()!();
      await settle();
    }
    await Promise.all(all);
    expect(g.peak()).toBe(2);
    expect([sem.active, sem.waiting]).toEqual([0, 0]);
  });

  it('frees the slot of a task that throws', async () => {
    const sem = new Semaphore(1);
    await expect(sem.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await sem.run(() => Promise.resolve(7))).toBe(7);
    expect(sem.active).toBe(0);
  });

  it('never exceeds its limit, whatever the limit and the number of tasks (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 40 }), async (limit, tasks) => {
        const sem = new Semaphore(limit);
        let inFlight = 0;
        let peak = 0;
        await Promise.all(
          Array.from({ length: tasks }, (_, i) =>
            sem.run(async () => {
              inFlight++;
              peak = Math.max(peak, inFlight);
              for (let k = 0; k <= i % 3; k++) await settle();
              inFlight--;
            }),
          ),
        );
        expect(peak).toBe(Math.min(limit, tasks));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses a limit below one', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
