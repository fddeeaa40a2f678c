import { describe, expect, it } from 'vitest';
import { threadClock } from './thread-clock.js';

describe('threadClock', () => {
  it("reads this thread's CPU time: it moves over work, and barely while the thread sleeps", () => {
    const clock = threadClock();
    expect(clock.kind).toBe('thread');
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    const cpuBefore = clock.now();
    const wallBefore = performance.now();
    Atomics.wait(sleeper, 0, 0, 200); // blocks the thread; uses no CPU
    const sleptWall = performance.now() - wallBefore;
    const sleptCpu = clock.now() - cpuBefore;
    expect(sleptWall).toBeGreaterThanOrEqual(150);
    // A wall clock would read the whole 200 ms; a generous bound for whatever else the thread did meanwhile.
    expect(sleptCpu).toBeLessThan(sleptWall / 2);
    let spin = 0;
    const busyFrom = clock.now();
    for (let i = 0; i < 2_000_000; i++) spin += i % 7;
    expect(spin).toBeGreaterThan(0);
    expect(clock.now()).toBeGreaterThan(busyFrom);
  });
});
