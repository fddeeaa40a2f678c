import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorRateCheck, phaseOffset, roundFailed, statusAfter } from './plugin-health.rules.js';

const pass = { name: 'a', status: 'pass' } as const;
const warn = { name: 'b', status: 'warn' } as const;
const fail = { name: 'c', status: 'fail' } as const;

describe('plugin health rules', () => {
  it('fails the error rate from half the calls, warns from a tenth, and says nothing under five calls', () => {
    expect(errorRateCheck(10, 5).status).toBe('fail');
    expect(errorRateCheck(10, 1).status).toBe('warn');
    expect(errorRateCheck(10, 0).status).toBe('pass');
    expect(errorRateCheck(4, 4).status).toBe('pass');
    expect(errorRateCheck(0, 0)).toMatchObject({ status: 'pass', value: 0 });
  });

  it('turns unhealthy only after the configured number of failed rounds in a row', () => {
    expect(statusAfter([fail], 1, 3)).toBe('degraded');
    expect(statusAfter([fail], 2, 3)).toBe('degraded');
    expect(statusAfter([fail], 3, 3)).toBe('unhealthy');
    expect(statusAfter([pass, warn], 0, 3)).toBe('degraded');
    expect(statusAfter([pass], 0, 3)).toBe('healthy');
    expect(roundFailed([pass, warn])).toBe(false);
    expect(roundFailed([pass, fail])).toBe(true);
  });

  it('spreads installations over the interval, each at a stable offset', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 3_600_000 }), (id, interval) => {
        const offset = phaseOffset(id, interval);
        expect(offset).toBeGreaterThanOrEqual(0);
        expect(offset).toBeLessThan(interval);
        expect(phaseOffset(id, interval)).toBe(offset);
      }),
    );
    const offsets = Array.from({ length: 1000 }, (_, i) => phaseOffset(`inst-${i}`, 10)).reduce<number[]>(
      (acc, o) => ((acc[o] = (acc[o] ?? 0) + 1), acc),
      [],
    );
    expect(Math.min(...offsets)).toBeGreaterThan(50); // every tenth of the interval gets its share
  });
});
