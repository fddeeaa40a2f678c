import { describe, expect, it } from 'vitest';
import { distTags, type VersionStatus } from '../registry/dist-tags.js';
import {
  type DependencyFailure,
  type InstalledPlugin,
  type PlanStep,
  type ResolvedPlan,
  type Resolution,
  type ResolveRequest,
  resolveDependencies,
  type ResolverSource,
  type SourcePlugin,
  type SourceVersion,
} from './dependency-resolver.js';

interface VersionOptions {
  deps?: Record<string, string>;
  engines?: string;
  status?: VersionStatus;
  yanked?: boolean;
  deprecated?: string;
  caps?: SourceVersion['capabilities'];
}

const v = (version: string, o: VersionOptions = {}): SourceVersion => ({
  version,
  status: o.status ?? 'approved',
  yanked: o.yanked ?? false,
  deprecated: o.deprecated ?? null,
  engines: o.engines ?? null,
  dependencies: o.deps ?? {},
  capabilities: o.caps ?? [],
});

/** A registry whose dist-tags are computed the way the registry computes them. */
function registry(plugins: Record<string, SourceVersion[]>): Map<string, SourcePlugin> {
  return new Map(Object.entries(plugins).map(([key, versions]) => [key, { versions, distTags: distTags(versions) }]));
}

/** A source over the registry that records every batch it is asked for. */
function recording(plugins: Map<string, SourcePlugin>): ResolverSource & { batches: string[][] } {
  const batches: string[][] = [];
  return {
    batches,
    load: (keys) => {
      batches.push([...keys]);
      return Promise.resolve(new Map(keys.map((k) => [k, plugins.get(k) ?? null])));
    },
  };
}

const installed = (key: string, version: string, dependencies: Record<string, string> = {}): InstalledPlugin => ({
  key,
  version,
  dependencies,
});

function resolve(
  plugins: Map<string, SourcePlugin>,
  key: string,
  spec?: string,
  more: Partial<ResolveRequest> = {},
): Promise<Resolution> {
  return resolveDependencies({ key, spec, platform: '0.1.0', installed: [], source: recording(plugins), ...more });
}

function expectPlan(r: Resolution): ResolvedPlan {
  if (r.kind !== 'plan') throw new Error(`expected a plan, got ${JSON.stringify(r, null, 2)}`);
  return r;
}

function expectDependency(r: Resolution): DependencyFailure {
  if (r.kind !== 'dependency') throw new Error(`expected a dependency failure, got ${JSON.stringify(r, null, 2)}`);
  return r;
}

const versions = (plan: ResolvedPlan) => Object.fromEntries(plan.steps.map((s) => [s.key, s.to]));
const step = (plan: ResolvedPlan, key: string): PlanStep => plan.steps.find((s) => s.key === key)!;

describe('dependency resolver', () => {
  describe('candidates', () => {
    it('takes the newest approved, non-yanked version that satisfies the range', async () => {
      const plugins = registry({
        'acme.app': [
          v('1.0.0'),
          v('1.4.0', { yanked: true }),
          v('1.3.0', { status: 'pending' }),
          v('1.2.0', { caps: ['log', 'storage:write'] }),
          v('1.2.5', { status: 'rejected' }),
          v('2.0.0'),
        ],
      });
      const plan = expectPlan(await resolve(plugins, 'acme.app', '^1.0.0'));
      expect(plan).toMatchObject({ key: 'acme.app', version: '1.2.0', alreadyInstalled: null, warnings: [] });
      expect(plan.steps).toEqual([
        {
          key: 'acme.app',
          from: null,
          to: '1.2.0',
          action: 'install',
          capabilities: ['log', 'storage:write'],
          dependencies: {},
          requiredBy: [{ range: '^1.0.0', by: { kind: 'request' } }],
          warnings: [],
        },
      ]);
      expect(expectPlan(await resolve(plugins, 'acme.app')).version).toBe('2.0.0'); // the default spec is latest
    });

    it('lets the caller decide which statuses are installable (a manager installing their pending version)', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0'), v('1.1.0', { status: 'pending' })] });
      const own = (status: VersionStatus, key: string) =>
        status === 'approved' || (status === 'pending' && key === 'acme.app');
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1', { installable: own })).version).toBe('1.1.0');
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1')).version).toBe('1.0.0');
    });

    it('prefers any non-deprecated version; a deprecated one only when nothing else fits, with a warning', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0'), v('1.1.0', { deprecated: 'use 2.x' }), v('2.0.0', { deprecated: 'broken' })],
      });
      const older = expectPlan(await resolve(plugins, 'acme.app', '*'));
      expect(older.version).toBe('1.0.0');
      expect(older.warnings).toEqual([]);

      const only = expectPlan(await resolve(plugins, 'acme.app', '^1.1.0'));
      expect(only.version).toBe('1.1.0');
      expect(only.warnings).toEqual([
        { code: 'deprecated', message: 'acme.app@1.1.0 is deprecated: use 2.x', key: 'acme.app', version: '1.1.0' },
      ]);
      expect(step(only, 'acme.app').warnings).toEqual([
        { code: 'deprecated', message: 'acme.app@1.1.0 is deprecated: use 2.x' },
      ]);
    });

    it('a dependency is deprecated only when its non-deprecated versions cannot satisfy the plan', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0', 'acme.ui': '^1.0.0' } })],
        'acme.lib': [v('1.0.0'), v('1.5.0', { deprecated: 'slow' })],
        'acme.ui': [v('1.0.0', { deps: { 'acme.lib': '>=1.5.0' } })],
      });
      const plan = expectPlan(await resolve(plugins, 'acme.app', '1.0.0'));
      expect(versions(plan)['acme.lib']).toBe('1.5.0');
      expect(plan.warnings).toEqual([expect.objectContaining({ code: 'deprecated', key: 'acme.lib' })]);
    });

    it('never chooses a yanked version for a range, but an exact pin gets it with a warning', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } })],
        'acme.lib': [v('1.0.0'), v('1.1.0', { yanked: true })],
      });
      expect(versions(expectPlan(await resolve(plugins, 'acme.app', 'latest')))).toEqual({
        'acme.lib': '1.0.0',
        'acme.app': '1.0.0',
      });
      const pinned = expectPlan(await resolve(plugins, 'acme.lib', '1.1.0'));
      expect(pinned.version).toBe('1.1.0');
      expect(pinned.warnings).toEqual([
        { code: 'yanked', message: 'acme.lib@1.1.0 was yanked', key: 'acme.lib', version: '1.1.0' },
      ]);
      const onlyYanked = registry({ 'acme.app': [v('1.0.0', { yanked: true })] });
      expect(await resolve(onlyYanked, 'acme.app', '^1.0.0')).toEqual({
        kind: 'not_found',
        key: 'acme.app',
        spec: '^1.0.0',
        reason: 'no_matching_version',
      });
    });
  });

  describe('prereleases', () => {
    const plugins = registry({
      'acme.app': [v('1.0.0'), v('1.1.0-beta.1'), v('1.1.0-beta.2'), v('2.0.0-rc.1')],
    });

    it('a range matches prereleases only of the tuple it names, as npm semver does', async () => {
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1.0.0')).version).toBe('1.0.0');
      expect(expectPlan(await resolve(plugins, 'acme.app', '*')).version).toBe('1.0.0');
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1.1.0-beta.0')).version).toBe('1.1.0-beta.2');
      expect(expectPlan(await resolve(plugins, 'acme.app', '>=2.0.0-rc.0')).version).toBe('2.0.0-rc.1');
      expect(await resolve(plugins, 'acme.app', '^2.0.0')).toMatchObject({ kind: 'not_found' });
    });

    it('an exact prerelease or a tag pointing at one selects it; latest never does', async () => {
      expect(expectPlan(await resolve(plugins, 'acme.app', '1.1.0-beta.1')).version).toBe('1.1.0-beta.1');
      expect(expectPlan(await resolve(plugins, 'acme.app', 'next')).version).toBe('2.0.0-rc.1');
      expect(expectPlan(await resolve(plugins, 'acme.app', 'latest')).version).toBe('1.0.0');
    });

    it('dependency ranges follow the same rule', async () => {
      const withDeps = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0', 'acme.ui': '^3.0.0-alpha.1' } })],
        'acme.lib': [v('1.0.0'), v('1.1.0-beta.1')],
        'acme.ui': [v('3.0.0-alpha.1'), v('3.0.0-alpha.2'), v('2.0.0')],
      });
      expect(versions(expectPlan(await resolve(withDeps, 'acme.app')))).toMatchObject({
        'acme.lib': '1.0.0',
        'acme.ui': '3.0.0-alpha.2',
      });
    });

    it('a tag whose version needs another platform falls back to the newest compatible one below it', async () => {
      const tagged = registry({
        'acme.app': [
          v('1.0.0'),
          v('1.1.0', { engines: '>=0.5.0' }),
          v('1.2.0-rc.1'),
          v('1.2.0-rc.2', { engines: '^1' }),
        ],
      });
      expect(expectPlan(await resolve(tagged, 'acme.app', 'latest')).version).toBe('1.0.0');
      expect(expectPlan(await resolve(tagged, 'acme.app', 'next')).version).toBe('1.2.0-rc.1');
    });
  });

  describe('engines', () => {
    it('skips versions whose engines.plughub excludes the platform', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { engines: '>=0.1.0' }), v('1.1.0', { engines: '>=0.2.0' })],
      });
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1')).version).toBe('1.0.0');
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1', { platform: '0.2.0' })).version).toBe('1.1.0');
      // a prerelease platform build counts as its release line
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1', { platform: '0.3.0-rc.1' })).version).toBe('1.1.0');
    });

    it('root versions that match the spec but not the platform → incompatible, listing them', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { engines: '^1.0.0' }), v('1.1.0', { engines: '>=2' }), v('0.5.0')],
      });
      expect(await resolve(plugins, 'acme.app', '^1.0.0')).toEqual({
        kind: 'incompatible',
        key: 'acme.app',
        spec: '^1.0.0',
        platform: '0.1.0',
        versions: [
          { version: '1.1.0', engines: '>=2' },
          { version: '1.0.0', engines: '^1.0.0' },
        ],
      });
      // an invalid engines range admits no platform
      const broken = registry({ 'acme.app': [v('1.0.0', { engines: 'banana' })] });
      expect(await resolve(broken, 'acme.app', '1.0.0')).toMatchObject({ kind: 'incompatible' });
    });

    it('a dependency with versions in range for another platform only → dependency / no_compatible_version', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^2.0.0' } })],
        'acme.lib': [v('1.0.0'), v('2.0.0', { engines: '>=1.0.0' })],
      });
      const failure = expectDependency(await resolve(plugins, 'acme.app'));
      expect(failure.reason).toBe('no_compatible_version');
      expect(failure.conflicts[0]).toEqual({
        reason: 'no_compatible_version',
        key: 'acme.lib',
        constraints: [{ range: '^2.0.0', by: { kind: 'plugin', key: 'acme.app', version: '1.0.0' } }],
      });
    });
  });

  describe('transitive dependencies', () => {
    it('a diamond shares one version that satisfies both sides, dependencies first', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.left': '^1.0.0', 'acme.right': '^1.0.0' }, caps: ['log'] })],
        'acme.left': [v('1.0.0', { deps: { 'acme.base': '^1.2.0' } })],
        'acme.right': [v('1.0.0', { deps: { 'acme.base': '>=1.1.0 <1.4.0' } })],
        'acme.base': ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '2.0.0'].map((x) => v(x)),
      });
      const plan = expectPlan(await resolve(plugins, 'acme.app'));
      expect(plan.steps.map((s) => s.key)).toEqual(['acme.base', 'acme.left', 'acme.right', 'acme.app']);
      expect(step(plan, 'acme.base')).toMatchObject({
        to: '1.3.0',
        action: 'install',
        requiredBy: [
          { range: '^1.2.0', by: { kind: 'plugin', key: 'acme.left', version: '1.0.0' } },
          { range: '>=1.1.0 <1.4.0', by: { kind: 'plugin', key: 'acme.right', version: '1.0.0' } },
        ],
      });
      expect(step(plan, 'acme.app')).toMatchObject({
        capabilities: ['log'],
        dependencies: { 'acme.left': '^1.0.0', 'acme.right': '^1.0.0' },
      });
    });

    it('backtracks to an older version when the newest one makes the diamond unsatisfiable', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.left': '*', 'acme.right': '*' } })],
        'acme.left': [v('2.0.0', { deps: { 'acme.base': '^2.0.0' } }), v('1.0.0', { deps: { 'acme.base': '^1.0.0' } })],
        'acme.right': [v('1.0.0', { deps: { 'acme.base': '^1.0.0' } })],
        'acme.base': [v('1.0.0'), v('2.0.0')],
      });
      expect(versions(expectPlan(await resolve(plugins, 'acme.app')))).toEqual({
        'acme.base': '1.0.0',
        'acme.left': '1.0.0',
        'acme.right': '1.0.0',
        'acme.app': '1.0.0',
      });
    });

    it('an unsatisfiable diamond names each conflicting range and who requires it', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.left': '^1.0.0', 'acme.right': '^1.0.0' } })],
        'acme.left': [v('1.0.0', { deps: { 'acme.base': '^1.0.0' } })],
        'acme.right': [v('1.0.0', { deps: { 'acme.base': '^2.0.0' } })],
        'acme.base': [v('1.0.0'), v('2.0.0')],
      });
      const failure = expectDependency(await resolve(plugins, 'acme.app'));
      expect(failure).toMatchObject({ key: 'acme.app', spec: 'latest', reason: 'unsatisfiable' });
      expect(failure.conflicts[0].key).toBe('acme.base');
      expect(failure.conflicts[0].constraints).toEqual(
        expect.arrayContaining([
          { range: '^1.0.0', by: { kind: 'plugin', key: 'acme.left', version: '1.0.0' } },
          { range: '^2.0.0', by: { kind: 'plugin', key: 'acme.right', version: '1.0.0' } },
        ]),
      );
    });

    it('a dependency that is unknown or invisible → dependency / not_found naming who needs it', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.ghost': '^1.0.0' } })],
      });
      const failure = expectDependency(await resolve(plugins, 'acme.app'));
      expect(failure.reason).toBe('not_found');
      expect(failure.conflicts).toEqual([
        {
          reason: 'not_found',
          key: 'acme.ghost',
          constraints: [{ range: '^1.0.0', by: { kind: 'plugin', key: 'acme.app', version: '1.0.0' } }],
        },
      ]);
    });

    it('a dependency with no version in range → not_found; the older root version that needs none is chosen', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0'), v('1.1.0', { deps: { 'acme.lib': '^5.0.0' } })],
        'acme.lib': [v('1.0.0')],
      });
      expect(expectPlan(await resolve(plugins, 'acme.app', '^1')).version).toBe('1.0.0');
      const failure = expectDependency(await resolve(plugins, 'acme.app', '1.1.0'));
      expect(failure.conflicts[0]).toMatchObject({ reason: 'not_found', key: 'acme.lib' });
    });
  });

  describe('completeness of the backjumping search', () => {
    // x@2 wants d ^2 while k (either version) wants d ^1: the search meets the conflict at k or d, and must blame
    // x (two levels up) rather than jump past it to the root, where it would wrongly report a conflict.
    const shape = (d: string[]) =>
      registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.x': '*', 'acme.k': '*', 'acme.d': '*' } })],
        'acme.x': [v('2.0.0', { deps: { 'acme.d': '^2.0.0' } }), v('1.0.0', { deps: { 'acme.d': '^1.0.0' } })],
        'acme.k': [v('1.1.0', { deps: { 'acme.d': '^1.0.0' } }), v('1.0.0', { deps: { 'acme.d': '^1.0.0' } })],
        'acme.d': d.map((x) => v(x)),
      });
    const expected = { 'acme.x': '1.0.0', 'acme.k': '1.1.0', 'acme.d': '1.0.0', 'acme.app': '1.0.0' };

    it('blames the plugin whose range ruled out a version, when a later choice fails', async () => {
      // d has one version left after x@2, so it is chosen before k; k then clashes with the chosen d
      expect(versions(expectPlan(await resolve(shape(['1.0.0', '2.0.0']), 'acme.app')))).toEqual(expected);
    });

    it('blames every range that emptied a dependency, not only the newest one', async () => {
      // d keeps two versions after x@2, so k is tried first and forward checking finds d empty
      expect(versions(expectPlan(await resolve(shape(['1.0.0', '2.0.0', '2.1.0']), 'acme.app')))).toEqual(expected);
    });
  });

  describe('cycles', () => {
    it('reports a cycle with its members and the ranges that close it', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.a': '^1.0.0' } })],
        'acme.a': [v('1.0.0', { deps: { 'acme.b': '^1.0.0' } })],
        'acme.b': [v('1.0.0', { deps: { 'acme.a': '^1.0.0' } })],
      });
      const failure = expectDependency(await resolve(plugins, 'acme.app'));
      expect(failure.reason).toBe('cycle');
      const cycle = failure.conflicts[0];
      expect(cycle.reason).toBe('cycle');
      expect(cycle.cycle).toHaveLength(3);
      expect(cycle.cycle![0]).toBe(cycle.cycle![2]);
      expect(new Set(cycle.cycle)).toEqual(new Set(['acme.a@1.0.0', 'acme.b@1.0.0']));
      expect(cycle.constraints).toEqual(
        expect.arrayContaining([
          { range: '^1.0.0', by: { kind: 'plugin', key: 'acme.a', version: '1.0.0' } },
          { range: '^1.0.0', by: { kind: 'plugin', key: 'acme.b', version: '1.0.0' } },
        ]),
      );
    });

    it('a cycle through the root and a self-dependency are cycles too', async () => {
      const throughRoot = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.a': '*' } })],
        'acme.a': [v('1.0.0', { deps: { 'acme.app': '*' } })],
      });
      expect(expectDependency(await resolve(throughRoot, 'acme.app')).conflicts[0].cycle).toEqual([
        'acme.a@1.0.0',
        'acme.app@1.0.0',
        'acme.a@1.0.0',
      ]);
      const self = registry({ 'acme.app': [v('1.0.0', { deps: { 'acme.app': '*' } })] });
      expect(expectDependency(await resolve(self, 'acme.app')).conflicts[0]).toMatchObject({
        reason: 'cycle',
        cycle: ['acme.app@1.0.0', 'acme.app@1.0.0'],
      });
    });

    it('avoids a cycle when another version breaks it', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.a': '^1.0.0' } })],
        'acme.a': [v('1.1.0', { deps: { 'acme.b': '^1.0.0' } }), v('1.0.0', { deps: { 'acme.b': '^1.0.0' } })],
        'acme.b': [v('1.1.0', { deps: { 'acme.a': '^1.0.0' } }), v('1.0.0')],
      });
      expect(versions(expectPlan(await resolve(plugins, 'acme.app')))).toEqual({
        'acme.b': '1.0.0',
        'acme.a': '1.1.0',
        'acme.app': '1.0.0',
      });
    });
  });

  describe('installed plugins', () => {
    const lib = ['1.0.0', '1.1.0', '1.2.0', '2.0.0'].map((x) => v(x, { caps: ['log'] }));

    it('keeps an installed dependency that satisfies every range, even when a newer one exists', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } })], 'acme.lib': lib });
      const plan = expectPlan(
        await resolve(plugins, 'acme.app', 'latest', { installed: [installed('acme.lib', '1.1.0')] }),
      );
      expect(step(plan, 'acme.lib')).toMatchObject({
        from: '1.1.0',
        to: '1.1.0',
        action: 'keep',
        capabilities: ['log'],
      });
      expect(step(plan, 'acme.app')).toMatchObject({ from: null, action: 'install' });
    });

    it('upgrades an installed dependency when every installed dependent still accepts the new version', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.2.0' } })],
        'acme.lib': lib,
        'acme.other': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } })],
      });
      const plan = expectPlan(
        await resolve(plugins, 'acme.app', 'latest', {
          installed: [installed('acme.lib', '1.0.0'), installed('acme.other', '1.0.0', { 'acme.lib': '^1.0.0' })],
        }),
      );
      expect(step(plan, 'acme.lib')).toMatchObject({
        from: '1.0.0',
        to: '1.2.0',
        action: 'upgrade',
        requiredBy: [
          { range: '^1.2.0', by: { kind: 'plugin', key: 'acme.app', version: '1.0.0' } },
          { range: '^1.0.0', by: { kind: 'installed', key: 'acme.other', version: '1.0.0' } },
        ],
      });
      expect(plan.steps.map((s) => s.key)).toEqual(['acme.lib', 'acme.app']); // the dependent is untouched
    });

    it('never raises a pinned dependency beyond the range an installed plugin needs', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.2.0' } })],
        'acme.lib': lib,
        'acme.other': [v('1.0.0', { deps: { 'acme.lib': '~1.0.0' } })],
      });
      const failure = expectDependency(
        await resolve(plugins, 'acme.app', 'latest', {
          installed: [installed('acme.lib', '1.0.0'), installed('acme.other', '1.0.0', { 'acme.lib': '~1.0.0' })],
        }),
      );
      expect(failure.reason).toBe('unsatisfiable');
      expect(failure.conflicts[0].key).toBe('acme.lib');
      expect(failure.conflicts[0].constraints).toEqual(
        expect.arrayContaining([
          { range: '^1.2.0', by: { kind: 'plugin', key: 'acme.app', version: '1.0.0' } },
          { range: '~1.0.0', by: { kind: 'installed', key: 'acme.other', version: '1.0.0' } },
        ]),
      );
    });

    it('chooses the root version the pinned dependency allows when there is one', async () => {
      const plugins = registry({
        'acme.app': [v('1.1.0', { deps: { 'acme.lib': '^2.0.0' } }), v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } })],
        'acme.lib': lib,
      });
      const plan = expectPlan(
        await resolve(plugins, 'acme.app', '^1', {
          installed: [installed('acme.lib', '1.0.0'), installed('acme.other', '1.0.0', { 'acme.lib': '^1.0.0' })],
        }),
      );
      expect(versions(plan)).toEqual({ 'acme.lib': '1.0.0', 'acme.app': '1.0.0' });
    });

    it('never downgrades an installed dependency', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } })], 'acme.lib': lib });
      const failure = expectDependency(
        await resolve(plugins, 'acme.app', 'latest', { installed: [installed('acme.lib', '2.0.0')] }),
      );
      expect(failure.conflicts[0]).toEqual({
        reason: 'unsatisfiable',
        key: 'acme.lib',
        constraints: [
          { range: '^1.0.0', by: { kind: 'plugin', key: 'acme.app', version: '1.0.0' } },
          { range: '>=2.0.0', by: { kind: 'installed', key: 'acme.lib', version: '2.0.0' } },
        ],
      });
    });

    it('keeps an installed version the source no longer offers (yanked, or invisible), with a warning', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0', 'acme.gone': '^1.0.0' } })],
        'acme.lib': [v('1.0.0', { yanked: true, caps: ['log'] }), v('1.1.0', { engines: '>=9' })],
      });
      const plan = expectPlan(
        await resolve(plugins, 'acme.app', 'latest', {
          installed: [
            installed('acme.lib', '1.0.0'),
            { ...installed('acme.gone', '1.0.0'), capabilities: ['storage:read'] },
          ],
        }),
      );
      expect(step(plan, 'acme.lib')).toMatchObject({ action: 'keep', capabilities: ['log'] });
      expect(step(plan, 'acme.lib').warnings).toEqual([{ code: 'yanked', message: 'acme.lib@1.0.0 was yanked' }]);
      expect(step(plan, 'acme.gone')).toMatchObject({ action: 'keep', capabilities: ['storage:read'] });
    });

    it('upgrades an installed dependent the plan needs when its new version accepts the new dependency', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.mid': '^2.0.0', 'acme.lib': '^2.0.0' } })],
        'acme.mid': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } }), v('2.0.0', { deps: { 'acme.lib': '^2.0.0' } })],
        'acme.lib': lib,
      });
      const plan = expectPlan(
        await resolve(plugins, 'acme.app', 'latest', {
          installed: [installed('acme.lib', '1.0.0'), installed('acme.mid', '1.0.0', { 'acme.lib': '^1.0.0' })],
        }),
      );
      expect(plan.steps.map((s) => [s.key, s.action, s.from, s.to])).toEqual([
        ['acme.lib', 'upgrade', '1.0.0', '2.0.0'],
        ['acme.mid', 'upgrade', '1.0.0', '2.0.0'],
        ['acme.app', 'install', null, '1.0.0'],
      ]);
    });

    it('an installed plugin that one root version would need but the chosen one does not still binds it', async () => {
      // app@2 drops acme.mid and wants lib 2; installed mid (left alone by app@2) pins lib ^1, so app@1 it is.
      const plugins = registry({
        'acme.app': [
          v('2.0.0', { deps: { 'acme.lib': '^2.0.0' } }),
          v('1.0.0', { deps: { 'acme.mid': '^1.0.0', 'acme.lib': '^1.0.0' } }),
        ],
        'acme.mid': [v('1.0.0', { deps: { 'acme.lib': '^1.0.0' } })],
        'acme.lib': lib,
      });
      const plan = expectPlan(
        await resolve(plugins, 'acme.app', '*', {
          installed: [installed('acme.lib', '1.0.0'), installed('acme.mid', '1.0.0', { 'acme.lib': '^1.0.0' })],
        }),
      );
      expect(plan.steps.map((s) => [s.key, s.action, s.to])).toEqual([
        ['acme.lib', 'keep', '1.0.0'],
        ['acme.mid', 'keep', '1.0.0'],
        ['acme.app', 'install', '1.0.0'],
      ]);
    });

    it('reports an installed root so the caller can refuse, and plans its reinstall or move', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0'), v('1.1.0')] });
      const same = expectPlan(
        await resolve(plugins, 'acme.app', '1.0.0', { installed: [installed('acme.app', '1.0.0')] }),
      );
      expect(same).toMatchObject({ alreadyInstalled: '1.0.0', version: '1.0.0' });
      expect(same.steps[0]).toMatchObject({ from: '1.0.0', to: '1.0.0', action: 'keep' });
      const newer = expectPlan(
        await resolve(plugins, 'acme.app', 'latest', { installed: [installed('acme.app', '1.0.0')] }),
      );
      expect(newer.steps[0]).toMatchObject({ from: '1.0.0', to: '1.1.0', action: 'upgrade' });
    });

    it('an installed dependent of the root constrains the root too', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0'), v('2.0.0')], 'acme.other': [v('1.0.0')] });
      const failure = expectDependency(
        await resolve(plugins, 'acme.app', '^2', {
          installed: [installed('acme.app', '1.0.0'), installed('acme.other', '1.0.0', { 'acme.app': '^1.0.0' })],
        }),
      );
      expect(failure.conflicts[0]).toEqual({
        reason: 'unsatisfiable',
        key: 'acme.app',
        constraints: [
          { range: '^2', by: { kind: 'request' } },
          { range: '^1.0.0', by: { kind: 'installed', key: 'acme.other', version: '1.0.0' } },
        ],
      });
    });
  });

  describe('root lookup', () => {
    it('unknown root, or no installable version matching the spec → not_found', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0'), v('2.0.0', { status: 'pending' })] });
      expect(await resolve(plugins, 'acme.nope')).toEqual({
        kind: 'not_found',
        key: 'acme.nope',
        spec: 'latest',
        reason: 'unknown_plugin',
      });
      for (const spec of ['^2.0.0', '2.0.0', 'next', 'not a range']) {
        expect(await resolve(plugins, 'acme.app', spec)).toMatchObject({
          kind: 'not_found',
          reason: 'no_matching_version',
        });
      }
    });

    it('rejects a platform or installed version that is not semver (caller bugs)', async () => {
      const plugins = registry({ 'acme.app': [v('1.0.0')] });
      await expect(resolve(plugins, 'acme.app', 'latest', { platform: 'dev' })).rejects.toThrow(TypeError);
      await expect(
        resolve(plugins, 'acme.app', 'latest', { installed: [installed('acme.lib', 'one')] }),
      ).rejects.toThrow(TypeError);
    });
  });

  describe('source reads', () => {
    it('asks for each key once, in one batch per breadth-first wave', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.a': '^1', 'acme.b': '^1' } })],
        'acme.a': [v('1.0.0', { deps: { 'acme.c': '^1' } }), v('1.1.0', { deps: { 'acme.c': '^1', 'acme.d': '^1' } })],
        'acme.b': [v('1.0.0', { deps: { 'acme.c': '^1' } })],
        'acme.c': [v('1.0.0', { deps: { 'acme.a': '^1.1.0' } })], // back to a: loaded already
        'acme.d': [v('1.0.0')],
        'acme.unrelated': [v('1.0.0')],
      });
      const source = recording(plugins);
      const result = await resolveDependencies({ key: 'acme.app', platform: '0.1.0', installed: [], source });
      expect(result.kind).toBe('dependency'); // a → c → a is a cycle whichever a is chosen
      expect(source.batches).toEqual([['acme.app'], ['acme.a', 'acme.b'], ['acme.c', 'acme.d']]);
    });

    it('does not load dependencies of versions no range can reach', async () => {
      const plugins = registry({
        'acme.app': [v('1.0.0', { deps: { 'acme.a': '^2' } })],
        'acme.a': [v('1.0.0', { deps: { 'acme.old': '*' } }), v('2.0.0')],
        'acme.old': [v('1.0.0')],
      });
      const source = recording(plugins);
      expectPlan(await resolveDependencies({ key: 'acme.app', platform: '0.1.0', installed: [], source }));
      expect(source.batches.flat()).toEqual(['acme.app', 'acme.a']);
    });
  });

  it('gives up with too_complex past the step budget instead of searching forever', async () => {
    // app needs x0..x7 (two versions each) and sink ^2, while every x needs sink ^1.
    const deps = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`acme.x${i}`, '*']));
    const xs = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [
        `acme.x${i}`,
        [v('1.0.0', { deps: { 'acme.sink': '^1' } }), v('2.0.0', { deps: { 'acme.sink': '^1' } })],
      ]),
    );
    const plugins = registry({
      'acme.app': [v('1.0.0', { deps: { ...deps, 'acme.sink': '^2' } })],
      'acme.sink': [v('1.0.0'), v('2.0.0')],
      ...xs,
    });
    const bounded = expectDependency(await resolve(plugins, 'acme.app', 'latest', { maxSteps: 3 }));
    expect(bounded.reason).toBe('too_complex');
    // with the default budget, forward checking proves it impossible at once
    expect(expectDependency(await resolve(plugins, 'acme.app')).reason).toBe('unsatisfiable');
  });
});
