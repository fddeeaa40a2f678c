import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { distTags, type VersionStatus } from '../registry/dist-tags.js';
import {
  type InstalledPlugin,
  type ResolvedPlan,
  resolveDependencies,
  type SourcePlugin,
  type SourceVersion,
} from './dependency-resolver.js';

// Random registries, checked against an exhaustive model of the rules written independently of the resolver:
// every plan it returns must satisfy every rule, and it may fail only when no assignment at all satisfies them.

const GHOST = 'p.ghost'; // depended on, never published
const VERSIONS = ['0.9.0', '1.0.0-beta.1', '1.0.0', '1.1.0', '1.2.0-rc.1', '1.2.0', '2.0.0'];
const RANGES = [
  '*',
  '^1.0.0',
  '~1.1.0',
  '>=1.1.0',
  '<1.2.0',
  '1.0.0',
  '^2.0.0',
  '>=1.0.0-beta.0 <1.1.0',
  '^1.2.0-rc.0',
  '0.9.0 || 2.0.0',
  '^0.9.0',
  '>=3.0.0',
];
const ENGINES = [null, '>=0.1.0', '^0.2.0', '<0.1.0', '0.x', 'banana'];

/** How a random registry looks: its keys, and how plugins depend on each other. */
interface Shape {
  keys: string[];
  maxDeps: number;
  /** Weight of a dependency on any key (cycles possible) against one on a later key (a DAG, deeper plans). */
  anyKey: number;
  forward: number;
}

/** Four plugins depending on anything: small enough to try every assignment of every key. */
const SMALL: Shape = { keys: ['p.a', 'p.b', 'p.c', 'p.d'], maxDeps: 2, anyKey: 1, forward: 0 };
/** Seven plugins, mostly depending on later ones: deeper plans, where backjumping can skip levels. */
const DEEP: Shape = { keys: ['p.a', 'p.b', 'p.c', 'p.d', 'p.e', 'p.f', 'p.g'], maxDeps: 3, anyKey: 1, forward: 6 };

interface World {
  keys: string[];
  plugins: Map<string, SourcePlugin>;
  installed: InstalledPlugin[];
  root: string;
  spec: string;
  platform: string;
  pendingToo: boolean;
}

/** Mostly ranges that some version meets, so that plans are common and failures are subtle. */
const arbRange = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('*', '^1.0.0', '>=1.0.0', '>=1.1.0', '<2.0.0') },
  { weight: 2, arbitrary: fc.constantFrom(...RANGES) },
);

function arbDeps(shape: Shape, index: number): fc.Arbitrary<Record<string, string>> {
  const later = shape.keys.slice(index + 1);
  const targets = [
    { weight: shape.anyKey * 9, arbitrary: fc.constantFrom(...shape.keys) },
    { weight: 1, arbitrary: fc.constant(GHOST) },
    ...(later.length && shape.forward ? [{ weight: shape.forward * 9, arbitrary: fc.constantFrom(...later) }] : []),
  ];
  return fc
    .uniqueArray(fc.tuple(fc.oneof(...targets), arbRange), { selector: ([key]) => key, maxLength: shape.maxDeps })
    .map((pairs) => Object.fromEntries(pairs));
}

const arbVersion = (version: string, deps: fc.Arbitrary<Record<string, string>>): fc.Arbitrary<SourceVersion> =>
  fc.record({
    version: fc.constant(version),
    status: fc.oneof(
      { weight: 6, arbitrary: fc.constant<VersionStatus>('approved') },
      { weight: 1, arbitrary: fc.constantFrom<VersionStatus>('pending', 'rejected') },
    ),
    yanked: fc.nat(7).map((n) => n === 0),
    deprecated: fc.nat(5).map((n) => (n === 0 ? 'superseded' : null)),
    engines: fc.oneof(
      { weight: 4, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(...ENGINES) },
    ),
    dependencies: deps,
    capabilities: fc.constant([]),
  });

const arbPlugin = (deps: fc.Arbitrary<Record<string, string>>): fc.Arbitrary<SourcePlugin> =>
  fc
    .uniqueArray(fc.constantFrom(...VERSIONS), { minLength: 2, maxLength: 4 })
    .chain((versions) => fc.tuple(...versions.map((version) => arbVersion(version, deps))))
    .map((versions) => ({ versions, distTags: distTags(versions) }));

function arbWorld(shape: Shape, root: fc.Arbitrary<string>): fc.Arbitrary<World> {
  const { keys } = shape;
  const perKey = keys.map((_, i) =>
    fc.record({
      published: fc.nat(9).map((n) => n !== 0), // one in ten unpublished (or invisible)
      plugin: arbPlugin(arbDeps(shape, i)),
      installed: fc.nat(2).map((n) => n === 0), // one in three installed
      installedVersion: fc.constantFrom(...VERSIONS),
      installedDeps: arbDeps(shape, i),
    }),
  );
  const world = fc.record({
    perKey: fc.tuple(...perKey),
    root,
    spec: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('latest', '*', '>=0.0.0-0') },
      { weight: 2, arbitrary: fc.constantFrom('next', ...RANGES, ...VERSIONS) },
    ),
    platform: fc.constantFrom('0.1.0', '0.1.0', '0.2.0-rc.1'),
    pendingToo: fc.boolean(),
  });
  return fc.noBias(
    world.map(({ perKey: drawn, ...rest }) => {
      const plugins = new Map<string, SourcePlugin>();
      const installed: InstalledPlugin[] = [];
      drawn.forEach((d, i) => {
        if (d.published) plugins.set(keys[i], d.plugin);
        if (!d.installed) return;
        // Versions are immutable: an installed version the registry lists has that version's dependencies.
        const listed = plugins.get(keys[i])?.versions.find((v) => v.version === d.installedVersion);
        const dependencies = listed ? listed.dependencies : d.installedDeps;
        installed.push({ key: keys[i], version: d.installedVersion, dependencies });
      });
      return { keys, plugins, installed, ...rest };
    }),
  );
}

/** The rules, stated directly: candidates per key, and whether a whole assignment is valid. */
class Model {
  private readonly memo = new Map<string, boolean>();
  private readonly installed: Map<string, InstalledPlugin>;
  readonly candidates = new Map<string, string[]>();

  constructor(private readonly w: World) {
    this.installed = new Map(w.installed.map((i) => [i.key, i]));
    for (const key of [...w.keys, GHOST])
      this.candidates.set(key, key === w.root ? this.rootCandidates() : this.others(key));
  }

  private sat(version: string, range: string): boolean {
    const k = `${version} ${range}`;
    let ok = this.memo.get(k);
    if (ok === undefined) this.memo.set(k, (ok = semver.satisfies(version, range)));
    return ok;
  }

  private installable(status: VersionStatus): boolean {
    return status === 'approved' || (this.w.pendingToo && status === 'pending');
  }

  private platformOk(engines: string | null | undefined): boolean {
    if (!engines) return true;
    return (
      semver.validRange(engines) !== null && semver.satisfies(this.w.platform, engines, { includePrerelease: true })
    );
  }

  private versionsOf(key: string): readonly SourceVersion[] {
    return this.w.plugins.get(key)?.versions ?? [];
  }

  /** Root versions the spec selects, ignoring the platform (yanked only for an exact pin). */
  specMatches(): SourceVersion[] {
    const { spec, root } = this.w;
    const plugin = this.w.plugins.get(root);
    if (!plugin) return [];
    let matches: (version: string) => boolean = () => false;
    const exact = semver.valid(spec);
    if (spec === 'latest' || spec === 'next') {
      const tagged = plugin.distTags[spec];
      if (tagged) matches = (version) => this.sat(version, `<=${tagged}`);
    } else if (exact) {
      matches = (version) => semver.eq(version, exact);
    } else if (semver.validRange(spec)) {
      matches = (version) => this.sat(version, spec);
    }
    return plugin.versions.filter((v) => this.installable(v.status) && (exact || !v.yanked) && matches(v.version));
  }

  private rootCandidates(): string[] {
    return this.specMatches()
      .filter((v) => this.platformOk(v.engines))
      .map((v) => v.version);
  }

  private others(key: string): string[] {
    const eligible = this.versionsOf(key)
      .filter((v) => this.installable(v.status) && !v.yanked && this.platformOk(v.engines))
      .map((v) => v.version);
    const installed = this.installed.get(key)?.version;
    return installed && !eligible.includes(installed) ? [...eligible, installed] : eligible;
  }

  depsOf(key: string, version: string): Readonly<Record<string, string>> {
    const installed = this.installed.get(key);
    if (installed && key !== this.w.root && installed.version === version) return installed.dependencies;
    return this.versionsOf(key).find((v) => v.version === version)?.dependencies ?? {};
  }

  valid(plan: ReadonlyMap<string, string>): boolean {
    const { root } = this.w;
    if (!plan.has(root)) return false;
    for (const [key, version] of plan) {
      if (!this.candidates.get(key)?.includes(version)) return false;
      for (const [dep, range] of Object.entries(this.depsOf(key, version))) {
        const chosen = plan.get(dep);
        if (chosen === undefined || !this.sat(chosen, range)) return false;
      }
    }
    // exactly the closure of the root
    const reached = new Set<string>();
    const walk = (key: string) => {
      if (reached.has(key) || !plan.has(key)) return;
      reached.add(key);
      for (const dep of Object.keys(this.depsOf(key, plan.get(key)!))) walk(dep);
    };
    walk(root);
    if (reached.size !== plan.size) return false;
    for (const installed of this.w.installed) {
      if (installed.key === root) continue;
      const chosen = plan.get(installed.key);
      if (chosen === undefined) {
        // left alone: its ranges must still hold
        for (const [dep, range] of Object.entries(installed.dependencies)) {
          const other = plan.get(dep);
          if (other !== undefined && !this.sat(other, range)) return false;
        }
      } else if (semver.lt(chosen, installed.version)) {
        return false; // no downgrades
      }
    }
    // acyclic
    const state = new Map<string, 'open' | 'done'>();
    const acyclic = (key: string): boolean => {
      if (state.get(key) === 'done') return true;
      if (state.get(key) === 'open') return false;
      state.set(key, 'open');
      for (const dep of Object.keys(this.depsOf(key, plan.get(key)!))) if (!acyclic(dep)) return false;
      state.set(key, 'done');
      return true;
    };
    return acyclic(root);
  }

  /** Tries every assignment of a version or absence to every key. */
  anyValid(): boolean {
    const keys = [...this.candidates.keys()];
    const plan = new Map<string, string>();
    const go = (i: number): boolean => {
      if (i === keys.length) return this.valid(plan);
      const key = keys[i];
      if (key !== this.w.root && go(i + 1)) return true;
      for (const version of this.candidates.get(key)!) {
        plan.set(key, version);
        if (go(i + 1)) return true;
        plan.delete(key);
      }
      return false;
    };
    return go(0);
  }

  /**
   * Tries every version of every key the root can need: from the root, keep choosing a candidate (any, unfiltered)
   * for the first needed key without one until none is left, then check the whole plan. Every valid plan is the
   * closure of its root, so this finds one whenever one exists, on registries too big for `anyValid`.
   */
  anyClosureValid(): boolean {
    const plan = new Map<string, string>();
    const go = (): boolean => {
      let next: string | undefined;
      for (const [key, version] of plan) {
        next = Object.keys(this.depsOf(key, version)).find((dep) => !plan.has(dep));
        if (next) break;
      }
      if (next === undefined) return this.valid(plan);
      for (const version of this.candidates.get(next) ?? []) {
        plan.set(next, version);
        if (go()) return true;
        plan.delete(next);
      }
      return false;
    };
    return this.candidates.get(this.w.root)!.some((version) => {
      plan.clear();
      plan.set(this.w.root, version);
      return go();
    });
  }

  expectedFailure(): string {
    if (!this.w.plugins.has(this.w.root)) return 'not_found';
    if (this.specMatches().length === 0) return 'not_found';
    if (this.candidates.get(this.w.root)!.length === 0) return 'incompatible';
    return 'dependency';
  }

  sourceVersion(key: string, version: string): SourceVersion | undefined {
    return this.versionsOf(key).find((v) => v.version === version);
  }
}

function checkPlanShape(w: World, model: Model, plan: ResolvedPlan): void {
  const installed = new Map(w.installed.map((i) => [i.key, i.version]));
  const position = new Map(plan.steps.map((s, i) => [s.key, i]));
  expect(position.size).toBe(plan.steps.length); // one step per key
  expect(plan.steps.at(-1)!.key).toBe(w.root);
  expect(plan.version).toBe(plan.steps.at(-1)!.to);
  expect(plan.alreadyInstalled).toBe(installed.get(w.root) ?? null);
  for (const [i, step] of plan.steps.entries()) {
    const was = installed.get(step.key) ?? null;
    expect(step.from).toBe(was);
    const expected = was === null ? 'install' : was === step.to ? 'keep' : 'upgrade';
    expect(step.action).toBe(expected);
    expect(step.dependencies).toEqual(model.depsOf(step.key, step.to));
    for (const dep of Object.keys(step.dependencies)) expect(position.get(dep)!).toBeLessThan(i); // activation order
    for (const r of step.requiredBy) if (r.by.kind !== 'request') expect(semver.satisfies(step.to, r.range)).toBe(true);
    const source = model.sourceVersion(step.key, step.to);
    expect(step.warnings.map((x) => x.code)).toEqual([
      ...(source?.deprecated ? ['deprecated'] : []),
      ...(source?.yanked ? ['yanked'] : []),
    ]);
  }
}

async function check(w: World, exhaustive: (model: Model) => boolean, outcomes: Record<string, number>) {
  const asked: string[] = [];
  const result = await resolveDependencies({
    key: w.root,
    spec: w.spec,
    platform: w.platform,
    installed: w.installed,
    installable: (status) => status === 'approved' || (w.pendingToo && status === 'pending'),
    source: {
      load: (keys) => {
        asked.push(...keys);
        return Promise.resolve(new Map(keys.map((k) => [k, w.plugins.get(k) ?? null])));
      },
    },
  });
  expect(new Set(asked).size).toBe(asked.length); // each key read once
  const model = new Model(w);
  const outcome = result.kind === 'dependency' ? `dependency:${result.reason}` : result.kind;
  outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  if (result.kind === 'plan') {
    expect(model.valid(new Map(result.steps.map((s) => [s.key, s.to])))).toBe(true);
    checkPlanShape(w, model, result);
    return;
  }
  expect(exhaustive(model)).toBe(false);
  expect(result.kind).toBe(model.expectedFailure());
  if (result.kind === 'dependency') {
    expect(result.reason).not.toBe('too_complex');
    expect(result.conflicts.length).toBeGreaterThan(0);
    for (const c of result.conflicts) expect(c.constraints.length).toBeGreaterThan(0);
  }
}

/** The generator must exercise every outcome, or the property says little. */
function expectVariety(outcomes: Record<string, number>, runs: number): void {
  expect(outcomes.plan).toBeGreaterThan(runs / 6);
  const dependency = Object.entries(outcomes).filter(([k]) => k.startsWith('dependency:'));
  expect(dependency.reduce((n, [, c]) => n + c, 0)).toBeGreaterThan(runs / 10);
  for (const kind of ['not_found', 'incompatible', 'dependency:unsatisfiable', 'dependency:cycle']) {
    expect(outcomes[kind], kind).toBeGreaterThan(0);
  }
}

describe('dependency resolver (property)', () => {
  it('small registries: plans satisfy every rule; failures only when no assignment of any key works', async () => {
    const outcomes: Record<string, number> = {};
    const runs = 600;
    const root = fc.oneof(
      { weight: 12, arbitrary: fc.constantFrom(...SMALL.keys) },
      { weight: 1, arbitrary: fc.constant(GHOST) },
    );
    await fc.assert(
      fc.asyncProperty(arbWorld(SMALL, root), async (w) => {
        // the two exhaustive searches agree, so the cheaper one can be trusted on the deep registries
        const model = new Model(w);
        expect(model.anyClosureValid()).toBe(model.anyValid());
        await check(w, (m) => m.anyValid(), outcomes);
      }),
      { numRuns: runs },
    );
    expectVariety(outcomes, runs);
  });

  it('deep registries: the same, against every closure of the root', async () => {
    const outcomes: Record<string, number> = {};
    const runs = 500;
    await fc.assert(
      fc.asyncProperty(arbWorld(DEEP, fc.constant('p.a')), (w) => check(w, (m) => m.anyClosureValid(), outcomes)),
      { numRuns: runs },
    );
    expectVariety(outcomes, runs);
  });
});
