import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { displayVersion, distTags, pluginStatus, sortVersionsDesc, versionKey } from './dist-tags.js';
import type { VersionState, VersionStatus } from './registry.entity.js';

const v = (version: string, status: VersionStatus = 'approved', yanked = false): VersionState => ({
  version,
  status,
  yanked,
});

const arbVersion = fc
  .tuple(
    fc.nat(20),
    fc.nat(20),
    fc.nat(20),
    fc.option(fc.constantFrom('alpha', 'beta.1', 'rc.2', 'beta.10'), { nil: undefined }),
  )
  .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ''}`);
const arbState = fc.record({
  version: arbVersion,
  status: fc.constantFrom<VersionStatus>('draft', 'pending', 'approved', 'rejected'),
  yanked: fc.boolean(),
});

describe('dist-tags', () => {
  it('latest is the newest approved release; next the newest approved prerelease', () => {
    const tags = distTags([v('1.0.0'), v('1.10.0'), v('1.9.0'), v('2.0.0-beta.2'), v('2.0.0-beta.10')]);
    expect(tags).toEqual({ latest: '1.10.0', next: '2.0.0-beta.10' });
  });

  it('ignores yanked, draft, pending and rejected versions', () => {
    const tags = distTags([
      v('1.0.0'),
      v('1.1.0', 'approved', true),
      v('1.2.0', 'pending'),
      v('1.3.0', 'rejected'),
      v('1.4.0', 'draft'),
      v('2.0.0-rc.1', 'pending'),
    ]);
    expect(tags).toEqual({ latest: '1.0.0', next: null });
    expect(distTags([])).toEqual({ latest: null, next: null });
  });

  it('display version falls back to the newest approved, then the newest of any status', () => {
    expect(displayVersion([v('1.0.0'), v('2.0.0', 'pending')])).toBe('1.0.0');
    expect(displayVersion([v('1.0.0-beta.1'), v('2.0.0', 'pending')])).toBe('1.0.0-beta.1');
    expect(displayVersion([v('1.0.0', 'approved', true)])).toBe('1.0.0');
    expect(displayVersion([v('1.0.0', 'rejected'), v('1.1.0', 'draft')])).toBe('1.1.0');
    expect(displayVersion([])).toBeNull();
  });

  it('plugin status is approved once any version is, else the newest version status', () => {
    expect(pluginStatus([v('1.0.0'), v('2.0.0', 'rejected')])).toBe('approved');
    expect(pluginStatus([v('1.0.0', 'rejected'), v('2.0.0', 'pending')])).toBe('pending');
    expect(pluginStatus([v('1.0.0', 'pending'), v('0.9.0', 'draft')])).toBe('pending');
    expect(pluginStatus([])).toBe('draft');
  });

  it('version identity ignores build metadata', () => {
    expect(versionKey('1.0.0+build.7')).toBe('1.0.0');
    expect(versionKey('1.0.0-rc.1+x')).toBe('1.0.0-rc.1');
    expect(() => versionKey('nope')).toThrow();
  });

  it('latest is never below any eligible release, and next is always a prerelease (property)', () => {
    fc.assert(
      fc.property(fc.array(arbState, { maxLength: 15 }), (states) => {
        const tags = distTags(states);
        const eligible = states.filter((s) => s.status === 'approved' && !s.yanked);
        for (const s of eligible) {
          if (semver.prerelease(s.version)) expect(semver.gte(tags.next!, s.version)).toBe(true);
          else expect(semver.gte(tags.latest!, s.version)).toBe(true);
        }
        if (tags.latest) expect(eligible.map((s) => s.version)).toContain(tags.latest);
        if (tags.next) expect(semver.prerelease(tags.next)).not.toBeNull();
      }),
    );
  });

  it('sorts newest first by precedence, not text (property)', () => {
    fc.assert(
      fc.property(fc.array(arbVersion, { maxLength: 20 }), (versions) => {
        const sorted = sortVersionsDesc(versions.map((version) => ({ version }))).map((x) => x.version);
        for (let i = 1; i < sorted.length; i++) expect(semver.gte(sorted[i - 1], sorted[i])).toBe(true);
      }),
    );
  });
});
