import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { admitsPlatform, availableUpdate, type ReleasedVersion, releasedFrom } from './update-availability.js';

const r = (version: string, extra: Partial<ReleasedVersion> = {}): ReleasedVersion => ({
  version,
  engines: null,
  deprecated: null,
  ...extra,
});

describe('availableUpdate', () => {
  const released = [
    r('1.0.0'),
    r('1.4.0'),
    r('1.5.0', { deprecated: 'use 1.4' }),
    r('1.6.0-beta.1'),
    r('2.0.0'),
    r('3.0.0', { engines: '>=99.0.0' }),
  ];

  it('answers the newest released version above the installed one that runs on this platform', () => {
    expect(availableUpdate('1.0.0', released, '1.0.0')).toBe('2.0.0');
    expect(availableUpdate('2.0.0', released, '1.0.0')).toBeNull();
  });

  it('within the installed major only, for auto-update', () => {
    expect(availableUpdate('1.0.0', released, '1.0.0', true)).toBe('1.4.0');
    expect(availableUpdate('1.4.0', released, '1.0.0', true)).toBeNull();
  });

  it('skips prereleases, deprecated versions and other platforms, and never goes down', () => {
    expect(availableUpdate('1.4.0', [r('1.6.0-beta.1'), r('1.5.0', { deprecated: 'x' })], '1.0.0')).toBeNull();
    expect(availableUpdate('2.0.0', [r('3.0.0', { engines: '>=99.0.0' })], '1.0.0')).toBeNull();
    expect(availableUpdate('2.0.0', [r('1.0.0')], '1.0.0')).toBeNull();
    expect(availableUpdate('not-semver', released, '1.0.0')).toBeNull();
  });

  it('admits a prerelease platform in its release line, and rejects invalid engines', () => {
    expect(admitsPlatform('^1.0.0', '1.2.0-rc.1')).toBe(true);
    expect(admitsPlatform('not a range!', '1.0.0')).toBe(false);
    expect(admitsPlatform(null, '1.0.0')).toBe(true);
  });

  it('reads engines from stored manifests', () => {
    expect(
      releasedFrom([
        { version: '1.0.0', manifest: { engines: { plughub: '^1.0.0' } }, deprecated: null },
        { version: '1.1.0', manifest: {}, deprecated: 'old' },
      ]),
    ).toEqual([r('1.0.0', { engines: '^1.0.0' }), r('1.1.0', { deprecated: 'old' })]);
  });

  it('answers exactly the greatest eligible version (checked against a filter and sort)', () => {
    const version = fc
      .tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.boolean())
      .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? '-rc.1' : ''}`);
    const releasedVersion = fc.record({
      version,
      engines: fc.constantFrom(null, '^1.0.0', '>=2.0.0'),
      deprecated: fc.constantFrom(null, 'old'),
    });
    fc.assert(
      fc.property(version, fc.array(releasedVersion, { maxLength: 12 }), fc.boolean(), (installed, list, same) => {
        const expected =
          list
            .filter((v) => !semver.prerelease(v.version) && v.deprecated === null)
            .filter((v) => semver.gt(v.version, installed))
            .filter((v) => !same || semver.major(v.version) === semver.major(installed))
            .filter((v) => v.engines === null || semver.satisfies('1.5.0', v.engines))
            .map((v) => v.version)
            .sort(semver.rcompare)[0] ?? null;
        expect(availableUpdate(installed, list, '1.5.0', same)).toBe(expected);
      }),
    );
  });
});
