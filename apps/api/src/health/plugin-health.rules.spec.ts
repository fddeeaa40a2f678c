import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  endpointStatus,
  errorRateCheck,
  type InstallationHealthInput,
  phaseOffset,
  registryErrorChecks,
  roundFailed,
  runtimeCheck,
  statusAfter,
} from './plugin-health.rules.js';

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

  describe('the endpoint around the background checks', () => {
    const input = (i: Partial<InstallationHealthInput>): InstallationHealthInput => ({
      status: 'active',
      enabled: true,
      statusReason: null,
      instanceState: 'ready',
      registryErrors: [],
      ...i,
    });

    it('reports the background status while an instance serves', () => {
      expect(endpointStatus(input({}), 'degraded')).toBe('degraded');
      expect(runtimeCheck(input({}))).toMatchObject({ name: 'runtime', status: 'pass' });
    });

    it('is unhealthy when the installation should run and no instance serves', () => {
      expect(endpointStatus(input({ instanceState: 'failed' }), 'healthy')).toBe('unhealthy');
      expect(endpointStatus(input({ instanceState: null, status: 'failed' }), 'healthy')).toBe('unhealthy');
      expect(runtimeCheck(input({ instanceState: 'failed', instanceReason: 'crashed 5 times' }))).toEqual({
        name: 'runtime',
        status: 'fail',
        details: 'instance failed: crashed 5 times',
      });
    });

    it('is unknown while loading or switched off', () => {
      expect(endpointStatus(input({ instanceState: 'loading' }), 'healthy')).toBe('unknown');
      const off = input({ instanceState: null, enabled: false, status: 'disabled', statusReason: 'maintenance' });
      expect(endpointStatus(off, 'healthy')).toBe('unknown');
      expect(runtimeCheck(off)).toEqual({
        name: 'runtime',
        status: 'warn',
        details: 'not running (installation disabled: maintenance)',
      });
    });

    it('turns registry errors into checks: failing while nothing runs, warnings once an instance serves', () => {
      const at = new Date(Date.UTC(2026, 11, 1));
      const errors = [{ stage: 'load', message: 'bad entry file', at }];
      expect(registryErrorChecks(input({ instanceState: null, registryErrors: errors }))).toEqual([
        { name: 'registry_load', status: 'fail', details: 'bad entry file (at 2026-12-01T00:00:00.000Z)' },
      ]);
      expect(registryErrorChecks(input({ registryErrors: errors }))[0].status).toBe('warn');
    });
  });
});
