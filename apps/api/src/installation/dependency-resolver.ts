/**
 * Dependency resolution for installing one plugin into one target (a user, an organisation or the instance).
 * Pure: no Nest, no Mongo, no errors thrown for domain outcomes. The installation service gives the request,
 * the platform version, what the target already has installed and a source of versions; it gets back a plan or a
 * failure whose `kind` it maps to the error catalogue.
 *
 *   resolveDependencies(request: ResolveRequest): Promise<Resolution>
 *   inMemorySource(plugins: Map<key, SourcePlugin> | Record<key, SourcePlugin>): ResolverSource
 *
 *   Resolution.kind   'plan'         → the plan (dry_run answers it; an install carries it out)
 *                     'not_found'    → 404 PLUGIN_NOT_FOUND (root unknown/invisible, or no version matches the spec)
 *                     'incompatible' → 400 PLUGIN_INCOMPATIBLE (versions match the spec, none this platform)
 *                     'dependency'   → 409 PLUGIN_DEPENDENCY_ERROR, details.reason = `reason`, plus `conflicts`
 *   ResolvedPlan.alreadyInstalled !== null → 409 PLUGIN_ALREADY_INSTALLED unless force_reinstall.
 *
 * Rules:
 * - Candidates of a plugin: versions whose status `installable` accepts (default: approved only), not yanked,
 *   whose `engines.plughub` admits the platform version (a prerelease platform counts as its release line).
 *   Newest first; deprecated ones only after every other, and they carry a warning.
 * - The root spec: a dist-tag (`latest`, `next`) means "the tagged version, else the newest candidate below it"
 *   (the range `<=tagged`, so `latest` never yields a prerelease); an exact version means that version (a yanked
 *   one included, with a warning, as the registry's exact pins do); anything else is a semver range.
 * - Ranges follow npm: a prerelease satisfies a range only when the range names a prerelease of the same
 *   major.minor.patch.
 * - Dependencies resolve transitively in the same target: one version per plugin key, satisfying the range of
 *   every plugin in the plan that depends on it and of every installed plugin the plan leaves untouched. A plan
 *   never contains a cycle (activation order would be impossible).
 * - An installed dependency is kept when every range allows it; otherwise it may move up (never down: installing
 *   does not downgrade what the target runs), and only to a version every installed dependent accepts. Installed
 *   dependents are never changed to make room. The root is exempt: it becomes whatever the spec says.
 * - The search is complete: a backtracking search (conflict-directed backjumping, forward checking, fewest
 *   candidates first) that reports a conflict only when no assignment satisfies every rule above, or when it
 *   exceeds `maxSteps` (reason `too_complex`, a guard against registries crafted to be exponential).
 * - The source is read in breadth-first waves: one `load` call per wave, each key asked for at most once.
 */
import type { Permission } from '@app/plugin-sdk';
import semver from 'semver';
import type { DistTags, VersionStatus } from '../registry/dist-tags.js';

// ---- input ---------------------------------------------------------------------------------------------------

/** One version of a plugin as the source shows it to the caller. */
export interface SourceVersion {
  /** Semver of the version (invalid ones are ignored). */
  version: string;
  /** Review status; `ResolveRequest.installable` decides whether it may be installed. */
  status: VersionStatus;
  /** Yanked: never chosen, except by an exact root spec; an installed yanked version may still be kept. */
  yanked: boolean;
  /** Deprecation message, or null: deprecated versions are chosen only when nothing else fits. */
  deprecated: string | null;
  /** The manifest's `engines.plughub` range; null or absent means any platform. */
  engines?: string | null;
  /** The manifest's `dependencies`: plugin key → semver range. */
  dependencies: Readonly<Record<string, string>>;
  /** The manifest's `permissions`: the capabilities this version requests. */
  capabilities: readonly Permission[];
}

/** What the source knows of one plugin, as visible to the caller. */
export interface SourcePlugin {
  /** Every version the caller may see, in any order and any status. */
  versions: readonly SourceVersion[];
  /** The plugin's dist-tags as the caller sees them (for its managers they may cover pending versions). */
  distTags: DistTags;
}

/** Where versions come from. One call per breadth-first wave; no key is asked for twice in one resolution. */
export interface ResolverSource {
  /** The plugins of `keys`; a key missing from the answer, or null, is unknown or invisible to the caller. */
  load(keys: readonly string[]): Promise<ReadonlyMap<string, SourcePlugin | null>>;
}

/** A plugin already installed in the target (one per key). */
export interface InstalledPlugin {
  /** Plugin key. */
  key: string;
  /** Installed version (semver; an invalid one is a caller bug and throws). */
  version: string;
  /** The installed version's dependency ranges. */
  dependencies: Readonly<Record<string, string>>;
  /** Capabilities the installed version requests, for a `keep` step whose version the source no longer lists. */
  capabilities?: readonly Permission[];
}

/** Everything one resolution needs. */
export interface ResolveRequest {
  /** The plugin to install (the root). */
  key: string;
  /** A semver range, an exact version or a dist-tag (`latest`, `next`); default `latest`. */
  spec?: string;
  /** The running platform version (package.json's `version`); an invalid one throws. */
  platform: string;
  /** The plugins already installed in the same target. */
  installed: readonly InstalledPlugin[];
  /** The versions the caller may install. */
  source: ResolverSource;
  /** Whether a version with this status may be installed by the caller; default: `approved` only. */
  installable?: (status: VersionStatus, key: string) => boolean;
  /** Upper bound on candidate trials before giving up with reason `too_complex`; default 100,000. */
  maxSteps?: number;
}

// ---- output --------------------------------------------------------------------------------------------------

/** Who asks for a range. */
export type Requirer =
  /** The install request itself (the root spec). */
  | { kind: 'request' }
  /** A plugin version this plan installs or upgrades. */
  | { kind: 'plugin'; key: string; version: string }
  /** A plugin installed in the target, untouched or kept by the plan. */
  | { kind: 'installed'; key: string; version: string };

/** A range on a plugin and who requires it. */
export interface Requirement {
  /** The semver range (or the root spec as written). */
  range: string;
  /** Who requires it. */
  by: Requirer;
}

/** What the plan does with one plugin. */
export type PlanAction = 'install' | 'upgrade' | 'keep';

/** Something the caller should show next to the plan. */
export interface PlanWarning {
  /** `deprecated`: the chosen version is deprecated; `yanked`: it was yanked (exact pin, or kept as installed). */
  code: 'deprecated' | 'yanked';
  /** Human sentence naming the plugin and version (with the deprecation message). */
  message: string;
}

/** One plugin of the plan. */
export interface PlanStep {
  /** Plugin key. */
  key: string;
  /** The installed version, or null when the target does not have it. */
  from: string | null;
  /** The version the plan installs or keeps. */
  to: string;
  /** install (new to the target), upgrade (installed, moves to `to`), keep (installed, stays). */
  action: PlanAction;
  /** Capabilities the `to` version requests. */
  capabilities: Permission[];
  /** The `to` version's dependency ranges (all of them are in the plan, earlier). */
  dependencies: Record<string, string>;
  /** Every range on this plugin and who requires it: the request, plugins of the plan, installed plugins. */
  requiredBy: Requirement[];
  /** Warnings about the `to` version. */
  warnings: PlanWarning[];
}

/** A successful resolution. */
export interface ResolvedPlan {
  kind: 'plan';
  /** The root plugin key. */
  key: string;
  /** The root's chosen version. */
  version: string;
  /** The root's installed version in the target, or null (non-null → PLUGIN_ALREADY_INSTALLED unless forced). */
  alreadyInstalled: string | null;
  /** Activation order: every plugin after all its dependencies; the root last. */
  steps: PlanStep[];
  /** Every step's warnings, flattened. */
  warnings: Array<PlanWarning & { key: string; version: string }>;
}

/** The root is unknown or invisible, or none of its installable versions matches the spec. */
export interface NotFoundFailure {
  kind: 'not_found';
  /** The root plugin key. */
  key: string;
  /** The spec as requested. */
  spec: string;
  /** `unknown_plugin` (unknown or invisible) or `no_matching_version`. */
  reason: 'unknown_plugin' | 'no_matching_version';
}

/** Installable versions match the spec but none admits the platform version. */
export interface IncompatibleFailure {
  kind: 'incompatible';
  /** The root plugin key. */
  key: string;
  /** The spec as requested. */
  spec: string;
  /** The platform version resolved against. */
  platform: string;
  /** Up to ten of the matching versions, newest first, with the `engines.plughub` range each declares. */
  versions: Array<{ version: string; engines: string }>;
}

/** details.reason of a dependency failure. */
export type DependencyReason = 'unsatisfiable' | 'cycle' | 'not_found' | 'no_compatible_version' | 'too_complex';

/** One dead end met by the search. */
export interface Conflict {
  /**
   * `not_found`: no installable version of `key` satisfies the range (or the key is unknown or invisible);
   * `no_compatible_version`: versions satisfy it but none admits the platform; `unsatisfiable`: each range can be
   * met but not all at once; `cycle`: the chosen versions depend on each other in a ring.
   */
  reason: Exclude<DependencyReason, 'too_complex'>;
  /** The plugin no version of which fits (for a cycle, the plugin that closes it). */
  key: string;
  /** The conflicting ranges on `key` and who requires each; for a cycle, `cycle[i]`'s range on `cycle[i + 1]`. */
  constraints: Requirement[];
  /** For a cycle: `key@version` of each member, the first repeated at the end. */
  cycle?: string[];
}

/** No plan satisfies the dependency rules. */
export interface DependencyFailure {
  kind: 'dependency';
  /** The root plugin key. */
  key: string;
  /** The spec as requested. */
  spec: string;
  /** The reason of the first conflict (met along the most preferred path), or `too_complex`. */
  reason: DependencyReason;
  /** Distinct dead ends in the order the search met them (at most ten); the first explains `reason`. */
  conflicts: Conflict[];
}

/** The answer of `resolveDependencies`. */
export type Resolution = ResolvedPlan | NotFoundFailure | IncompatibleFailure | DependencyFailure;

/** A source over fixed data (tests, benchmarks, a registry snapshot). */
export function inMemorySource(
  plugins: ReadonlyMap<string, SourcePlugin> | Readonly<Record<string, SourcePlugin>>,
): ResolverSource {
  const map: ReadonlyMap<string, SourcePlugin> = plugins instanceof Map ? plugins : new Map(Object.entries(plugins));
  return {
    load: (keys) => Promise.resolve(new Map(keys.map((key) => [key, map.get(key) ?? null]))),
  };
}

// ---- internals -----------------------------------------------------------------------------------------------

type SemVer = semver.SemVer;
type Test = (version: SemVer) => boolean;

interface Dep {
  key: string;
  range: string;
  test: Test;
}

/** A version that may be chosen for a key. */
interface Candidate {
  version: string;
  sv: SemVer;
  deps: Dep[];
  dependencies: Record<string, string>;
  capabilities: Permission[];
  deprecated: string | null;
  yanked: boolean;
  /** The target's installed version of this (non-root) key: choosing it means `keep`. */
  installed: boolean;
  /** Some range that can reach this key admits it (found by the loading pass); only those are followed. */
  possible: boolean;
}

interface Constraint {
  range: string;
  test: Test;
  by: Requirer;
  /** The plan member whose chosen version imposes it; null for the fixed ones (request, installed, floor). */
  origin: string | null;
  /** The no-downgrade floor of an installed key: not somebody requiring it, so not listed in `requiredBy`. */
  floor: boolean;
}

interface KeyInfo {
  plugin: SourcePlugin | null;
  /** Preference order: installed version, then newest non-deprecated, then newest deprecated. */
  candidates: Candidate[];
}

const DEFAULT_MAX_STEPS = 100_000;
const REQUIRER_RANK: Record<Requirer['kind'], number> = { request: 0, plugin: 1, installed: 2 };
const MAX_CONFLICTS = 10;
const approvedOnly = (status: VersionStatus) => status === 'approved';
const at = (key: string, version: string) => `${key}@${version}`;

const byPreference = (a: Candidate, b: Candidate) =>
  Number(b.installed) - Number(a.installed) ||
  Number(a.deprecated !== null) - Number(b.deprecated !== null) ||
  b.sv.compare(a.sv);

/** Per-resolution parse caches (ranges and versions come from user data: no process-wide cache to grow). */
class Semantics {
  private readonly ranges = new Map<string, Test>();
  private readonly engines = new Map<string, boolean>();

  constructor(private readonly platform: SemVer) {}

  range(range: string): Test {
    let test = this.ranges.get(range);
    if (!test) {
      let parsed: semver.Range | null = null;
      try {
        parsed = new semver.Range(range);
      } catch {
        parsed = null; // an invalid range admits nothing
      }
      test = parsed ? (v) => parsed.test(v) : () => false;
      this.ranges.set(range, test);
    }
    return test;
  }

  /** Engine ranges admit prerelease platforms (a 0.2.0-rc.1 build runs plugins for >=0.1.0), as npm and pnpm do. */
  admitsPlatform(engines: string | null | undefined): boolean {
    if (engines === null || engines === undefined) return true;
    let ok = this.engines.get(engines);
    if (ok === undefined) {
      ok = semver.validRange(engines) !== null && semver.satisfies(this.platform, engines, { includePrerelease: true });
      this.engines.set(engines, ok);
    }
    return ok;
  }

  deps(dependencies: Readonly<Record<string, string>>): Dep[] {
    return Object.entries(dependencies).map(([key, range]) => ({ key, range, test: this.range(range) }));
  }
}

function requirementOf(c: Constraint): Requirement {
  return { range: c.range, by: c.by };
}

function conflictSignature(c: Conflict): string {
  const by = (r: Requirer) => (r.kind === 'request' ? 'request' : `${r.kind}:${r.key}@${r.version}`);
  return [c.reason, c.key, ...c.constraints.map((r) => `${r.range}<${by(r.by)}`), ...(c.cycle ?? [])].join('|');
}

/** The root's candidates for the spec, or why there are none. */
function rootCandidates(
  request: ResolveRequest,
  spec: string,
  plugin: SourcePlugin | null,
  sem: Semantics,
  installable: (status: VersionStatus, key: string) => boolean,
): { candidates: Candidate[]; test: Test } | NotFoundFailure | IncompatibleFailure {
  const key = request.key;
  if (!plugin) return { kind: 'not_found', key, spec, reason: 'unknown_plugin' };
  let test: Test = () => false;
  let exact = false;
  if (spec === 'latest' || spec === 'next') {
    const tagged = semver.parse(plugin.distTags[spec]);
    if (tagged) test = sem.range(`<=${tagged.version}`);
  } else {
    const pinned = semver.parse(spec);
    if (pinned) {
      exact = true;
      test = (v) => v.compare(pinned) === 0;
    } else if (semver.validRange(spec) !== null) {
      test = sem.range(spec);
    }
  }
  const matching: Array<{ source: SourceVersion; sv: SemVer }> = [];
  for (const source of plugin.versions) {
    const sv = semver.parse(source.version);
    if (sv && test(sv) && installable(source.status, key) && (exact || !source.yanked)) matching.push({ source, sv });
  }
  if (matching.length === 0) return { kind: 'not_found', key, spec, reason: 'no_matching_version' };
  const compatible = matching.filter((m) => sem.admitsPlatform(m.source.engines));
  if (compatible.length === 0) {
    const versions = matching
      .sort((a, b) => b.sv.compare(a.sv))
      .slice(0, 10)
      .map((m) => ({ version: m.sv.version, engines: m.source.engines ?? '*' }));
    return { kind: 'incompatible', key, spec, platform: request.platform, versions };
  }
  return {
    candidates: compatible.map(({ source, sv }) => candidateOf(source, sv, sem, true)).sort(byPreference),
    test,
  };
}

function candidateOf(source: SourceVersion, sv: SemVer, sem: Semantics, possible: boolean): Candidate {
  return {
    version: sv.version,
    sv,
    deps: sem.deps(source.dependencies),
    dependencies: { ...source.dependencies },
    capabilities: [...source.capabilities],
    deprecated: source.deprecated,
    yanked: source.yanked,
    installed: false,
    possible,
  };
}

/** Candidates of a non-root key: installable, non-yanked, platform-compatible versions plus the installed one. */
function keyInfo(
  key: string,
  plugin: SourcePlugin | null,
  installed: InstalledPlugin | undefined,
  sem: Semantics,
  installable: (status: VersionStatus, key: string) => boolean,
): KeyInfo {
  const candidates: Candidate[] = [];
  const installedSv = installed ? semver.parse(installed.version) : null;
  let installedSource: SourceVersion | undefined;
  const seen = new Set<string>();
  for (const source of plugin?.versions ?? []) {
    const sv = semver.parse(source.version);
    if (!sv || seen.has(sv.version)) continue;
    seen.add(sv.version);
    if (installedSv && sv.compare(installedSv) === 0) {
      installedSource = source;
      continue; // the installed version is added below, with the installed dependency ranges
    }
    if (installable(source.status, key) && !source.yanked && sem.admitsPlatform(source.engines)) {
      candidates.push(candidateOf(source, sv, sem, false));
    }
  }
  if (installed && installedSv) {
    candidates.push({
      version: installedSv.version,
      sv: installedSv,
      deps: sem.deps(installed.dependencies),
      dependencies: { ...installed.dependencies },
      capabilities: [...(installedSource?.capabilities ?? installed.capabilities ?? [])],
      deprecated: installedSource?.deprecated ?? null,
      yanked: installedSource?.yanked ?? false,
      installed: true,
      possible: false,
    });
  }
  return { plugin, candidates: candidates.sort(byPreference) };
}

/**
 * The loading pass: breadth-first from the root's candidates, following only the dependencies of versions some
 * reaching range admits, one `load` per wave. Returns every key a plan could contain.
 */
async function explore(
  request: ResolveRequest,
  infos: Map<string, KeyInfo>,
  installed: ReadonlyMap<string, InstalledPlugin>,
  sem: Semantics,
  installable: (status: VersionStatus, key: string) => boolean,
): Promise<Set<string>> {
  const reached = new Set<string>([request.key]);
  const waiting = new Map<string, Dep[]>();
  const queue: Array<[KeyInfo, Test]> = [];
  const follow = (candidate: Candidate) => {
    for (const dep of candidate.deps) {
      reached.add(dep.key);
      const info = infos.get(dep.key);
      if (info) queue.push([info, dep.test]);
      else if (waiting.has(dep.key)) waiting.get(dep.key)!.push(dep);
      else waiting.set(dep.key, [dep]);
    }
  };
  for (const candidate of infos.get(request.key)!.candidates) follow(candidate);
  for (;;) {
    for (let item = queue.pop(); item; item = queue.pop()) {
      const [info, test] = item;
      for (const candidate of info.candidates) {
        if (candidate.possible || !test(candidate.sv)) continue;
        candidate.possible = true;
        follow(candidate);
      }
    }
    if (waiting.size === 0) return reached;
    const keys = [...waiting.keys()];
    const loaded = await request.source.load(keys);
    for (const key of keys) {
      const info = keyInfo(key, loaded.get(key) ?? null, installed.get(key), sem, installable);
      infos.set(key, info);
      for (const dep of waiting.get(key)!) queue.push([info, dep.test]);
    }
    waiting.clear();
  }
}

/** The backtracking search over the loaded universe (synchronous: everything it can need is loaded). */
class Search {
  private readonly assigned = new Map<string, Candidate>();
  private readonly depth = new Map<string, number>();
  private readonly constraints = new Map<string, Constraint[]>();
  private readonly requirers = new Map<string, string[]>();
  /** Keys in the order they were first needed: the tie-break of the variable order. */
  private readonly discovered: string[] = [];
  private readonly known = new Set<string>();
  private readonly deadEnds = new Map<string, Conflict>();
  private readonly mismatches = new Map<string, Conflict>();
  private steps = 0;
  exhausted = false;

  constructor(
    private readonly root: string,
    private readonly infos: ReadonlyMap<string, KeyInfo>,
    /** Installed plugins a plan may reach: their ranges hold only while they stay out of it, so checked last. */
    private readonly conditional: readonly { installed: InstalledPlugin; deps: Dep[] }[],
    private readonly maxSteps: number,
    private readonly installable: (status: VersionStatus, key: string) => boolean,
  ) {
    this.discover(root);
  }

  /** A fixed constraint: the request, an installed plugin the plan cannot reach, or a no-downgrade floor. */
  fix(key: string, constraint: Omit<Constraint, 'origin'>): void {
    this.constraintsOf(key).push({ ...constraint, origin: null });
  }

  run(): boolean {
    return this.solve() === null;
  }

  plan(): Array<{ key: string; candidate: Candidate; requiredBy: Requirement[] }> {
    const order: string[] = [];
    const visited = new Set<string>();
    const visit = (key: string) => {
      if (visited.has(key)) return;
      visited.add(key);
      for (const dep of [...this.assigned.get(key)!.deps].sort((a, b) => a.key.localeCompare(b.key))) visit(dep.key);
      order.push(key);
    };
    visit(this.root);
    return order.map((key) => {
      const requiredBy = this.constraintsOf(key)
        .filter((c) => !c.floor)
        .map(requirementOf);
      for (const { installed, deps } of this.conditional) {
        if (this.assigned.has(installed.key)) continue;
        for (const dep of deps) {
          if (dep.key === key) requiredBy.push({ range: dep.range, by: installedBy(installed) });
        }
      }
      requiredBy.sort((a, b) => REQUIRER_RANK[a.by.kind] - REQUIRER_RANK[b.by.kind]); // stable within a kind
      return { key, candidate: this.assigned.get(key)!, requiredBy };
    });
  }

  conflicts(): Conflict[] {
    const found = [...(this.deadEnds.size ? this.deadEnds : this.mismatches).values()];
    if (found.length === 0 && !this.exhausted) {
      const constraints = this.constraintsOf(this.root)
        .filter((c) => !c.floor)
        .map(requirementOf);
      found.push({ reason: 'unsatisfiable', key: this.root, constraints });
    }
    return found;
  }

  // -- the search ----------------------------------------------------------------------------------------------

  /** Null on success (the assignment is the plan); otherwise a nogood: keys whose choices jointly fail. */
  private solve(): Set<string> | null {
    const key = this.select();
    if (key === null) return this.leafCheck();
    const info = this.infoOf(key);
    const constraints = this.constraintsOf(key);
    const nogood = new Set<string>();
    const eliminators: Constraint[] = [];
    let tried = false;
    for (const candidate of info.candidates) {
      const eliminator = this.eliminator(constraints, candidate, null);
      if (eliminator) {
        if (eliminator.origin !== null) nogood.add(eliminator.origin);
        if (!eliminators.includes(eliminator)) eliminators.push(eliminator);
        continue;
      }
      tried = true;
      if (++this.steps > this.maxSteps) {
        this.exhausted = true;
        return new Set(); // an empty nogood unwinds the whole search
      }
      const why = this.assign(key, candidate);
      if (why) {
        for (const k of why) if (k !== key) nogood.add(k);
        continue;
      }
      const sub = this.solve();
      if (sub === null) return null;
      this.unassign(key, candidate);
      if (!sub.has(key)) return sub; // this key's choice is not to blame: jump back past it
      for (const k of sub) if (k !== key) nogood.add(k);
    }
    if (!tried) this.recordDeadEnd(key, eliminators);
    if (key !== this.root) nogood.add(this.requirerFor(key, nogood));
    return nogood;
  }

  /** The needed, unassigned key with the fewest viable candidates (ties: first needed first); null when none. */
  private select(): string | null {
    let best: string | null = null;
    let bestCount = Infinity;
    for (const key of this.discovered) {
      if (this.assigned.has(key) || !this.isNeeded(key)) continue;
      const constraints = this.constraintsOf(key);
      let count = 0;
      for (const candidate of this.infoOf(key).candidates) {
        if (!this.eliminator(constraints, candidate, null) && ++count >= bestCount) break;
      }
      if (count < bestCount) {
        best = key;
        bestCount = count;
        if (count <= 1) break;
      }
    }
    return best;
  }

  /**
   * Checks `candidate` against the chosen versions (ranges and cycles), then pushes its ranges and checks that
   * every dependency still has a viable candidate. Null when it stays assigned; otherwise the nogood.
   */
  private assign(key: string, candidate: Candidate): Set<string> | null {
    const by = this.requirerOf(key, candidate);
    for (const dep of candidate.deps) {
      if (dep.key === key) {
        this.record(this.deadEnds, {
          reason: 'cycle',
          key,
          constraints: [{ range: dep.range, by }],
          cycle: [at(key, candidate.version), at(key, candidate.version)],
        });
        return new Set([key]);
      }
      const chosen = this.assigned.get(dep.key);
      if (!chosen) continue;
      if (!dep.test(chosen.sv)) {
        this.recordMismatch(dep.key, { range: dep.range, test: dep.test, by, origin: key, floor: false });
        return new Set([key, dep.key]);
      }
      const path = this.pathTo(dep.key, key);
      if (path) {
        this.recordCycle(key, candidate, path);
        return new Set([key, ...path]);
      }
    }
    this.assigned.set(key, candidate);
    this.depth.set(key, this.assigned.size);
    for (const dep of candidate.deps) {
      this.constraintsOf(dep.key).push({ range: dep.range, test: dep.test, by, origin: key, floor: false });
      this.requirersOf(dep.key).push(key);
      this.discover(dep.key);
    }
    for (const dep of candidate.deps) {
      if (this.assigned.has(dep.key)) continue;
      const nogood = this.forwardCheck(dep.key, key);
      if (nogood) {
        this.unassign(key, candidate);
        return nogood;
      }
    }
    return null;
  }

  private unassign(key: string, candidate: Candidate): void {
    for (const dep of candidate.deps) {
      this.constraintsOf(dep.key).pop();
      this.requirersOf(dep.key).pop();
    }
    this.assigned.delete(key);
    this.depth.delete(key);
  }

  /** Null when `key` keeps a viable candidate; otherwise the nogood (who eliminated them all, and `by`). */
  private forwardCheck(key: string, by: string): Set<string> | null {
    const constraints = this.constraintsOf(key);
    const eliminators: Constraint[] = [];
    for (const candidate of this.infoOf(key).candidates) {
      const eliminator = this.eliminator(constraints, candidate, by);
      if (!eliminator) return null;
      if (!eliminators.includes(eliminator)) eliminators.push(eliminator);
    }
    this.recordDeadEnd(key, eliminators);
    const nogood = new Set<string>([by]);
    for (const e of eliminators) if (e.origin !== null) nogood.add(e.origin);
    return nogood;
  }

  /**
   * Every rule left once no key is needed: installed plugins the plan could have reached but did not still need
   * their ranges to hold. Their absence depends on every choice made, so the nogood is the whole assignment.
   */
  private leafCheck(): Set<string> | null {
    for (const { installed, deps } of this.conditional) {
      if (this.assigned.has(installed.key)) continue;
      for (const dep of deps) {
        const chosen = this.assigned.get(dep.key);
        if (!chosen || dep.test(chosen.sv)) continue;
        const requirement: Requirement = { range: dep.range, by: installedBy(installed) };
        const others = this.constraintsOf(dep.key)
          .filter((c) => !c.floor)
          .map(requirementOf);
        this.record(this.deadEnds, { reason: 'unsatisfiable', key: dep.key, constraints: [requirement, ...others] });
        return new Set(this.assigned.keys());
      }
    }
    return null;
  }

  /**
   * The constraint that rules `candidate` out, or null. Fixed ones are preferred (they blame no choice), then one
   * imposed by `prefer` (the key being tried, dropped from the nogood anyway), then the first.
   */
  private eliminator(
    constraints: readonly Constraint[],
    candidate: Candidate,
    prefer: string | null,
  ): Constraint | null {
    let found: Constraint | null = null;
    for (const c of constraints) {
      if (c.test(candidate.sv)) continue;
      if (c.origin === null) return c;
      if (!found || (c.origin === prefer && found.origin !== prefer)) found = c;
    }
    return found;
  }

  /** A path of chosen versions from `from` to one that depends on `target`, or null. */
  private pathTo(from: string, target: string): string[] | null {
    const seen = new Set<string>();
    const walk = (key: string): string[] | null => {
      seen.add(key);
      for (const dep of this.assigned.get(key)!.deps) {
        if (dep.key === target) return [key];
        if (this.assigned.has(dep.key) && !seen.has(dep.key)) {
          const rest = walk(dep.key);
          if (rest) return [key, ...rest];
        }
      }
      return null;
    };
    return walk(from);
  }

  /** Who keeps `key` in the plan: a requirer already blamed if any, else the earliest chosen one. */
  private requirerFor(key: string, nogood: ReadonlySet<string>): string {
    const requirers = this.requirersOf(key);
    const blamed = requirers.find((r) => nogood.has(r));
    if (blamed) return blamed;
    return requirers.reduce((a, b) => (this.depth.get(b)! < this.depth.get(a)! ? b : a));
  }

  // -- conflicts -----------------------------------------------------------------------------------------------

  /**
   * Records why no candidate of `key` survives. `not_found`: one range matches no installable version at all;
   * `no_compatible_version`: versions meet every range but the platform rejects them; else `unsatisfiable`.
   */
  private recordDeadEnd(key: string, eliminators: readonly Constraint[]): void {
    if (this.deadEnds.size >= MAX_CONFLICTS) return;
    const info = this.infoOf(key);
    const all = this.constraintsOf(key);
    const requirements = all.filter((c) => !c.floor);
    // Name what puts the key in the plan too, when the culprits are only installed plugins and floors.
    const needing = (c: Constraint) => c.origin !== null || c.by.kind === 'request';
    const withNeeding = (list: readonly Constraint[]) =>
      list.some(needing) ? list : [...requirements.filter(needing), ...list];
    const existing = info.candidates.map((c) => c.sv);
    for (const source of info.plugin?.versions ?? []) {
      const sv = semver.parse(source.version);
      if (sv && !source.yanked && this.installable(source.status, key)) existing.push(sv);
    }
    const missing = requirements.find((c) => !existing.some((sv) => c.test(sv)));
    let conflict: Conflict;
    if (missing) {
      conflict = { reason: 'not_found', key, constraints: withNeeding([missing]).map(requirementOf) };
    } else if (existing.some((sv) => all.every((c) => c.test(sv)))) {
      conflict = { reason: 'no_compatible_version', key, constraints: requirements.map(requirementOf) };
    } else {
      conflict = { reason: 'unsatisfiable', key, constraints: withNeeding(eliminators).map(requirementOf) };
    }
    this.record(this.deadEnds, conflict);
  }

  /** `key` is chosen at a version a new range rejects: a dead end if no version fits, else ordinary backtracking. */
  private recordMismatch(key: string, added: Constraint): void {
    const constraints = [...this.constraintsOf(key), added];
    const eliminators: Constraint[] = [];
    for (const candidate of this.infoOf(key).candidates) {
      const e = this.eliminator(constraints, candidate, added.origin);
      if (!e) {
        const requirements = constraints.filter((c) => !c.floor).map(requirementOf);
        this.record(this.mismatches, { reason: 'unsatisfiable', key, constraints: requirements });
        return;
      }
      if (!eliminators.includes(e)) eliminators.push(e);
    }
    this.constraintsOf(key).push(added); // recordDeadEnd reads the key's constraints
    this.recordDeadEnd(key, eliminators);
    this.constraintsOf(key).pop();
  }

  private recordCycle(key: string, candidate: Candidate, path: readonly string[]): void {
    const ring = [key, ...path];
    const version = (k: string) => (k === key ? candidate : this.assigned.get(k)!).version;
    const constraints: Requirement[] = ring.map((from, i) => {
      const to = ring[(i + 1) % ring.length];
      const source = from === key ? candidate : this.assigned.get(from)!;
      const dep = source.deps.find((d) => d.key === to)!;
      return { range: dep.range, by: this.requirerOf(from, source) };
    });
    const cycle = [...ring, key].map((k) => at(k, version(k)));
    this.record(this.deadEnds, { reason: 'cycle', key, constraints, cycle });
  }

  private record(into: Map<string, Conflict>, conflict: Conflict): void {
    if (into.size >= MAX_CONFLICTS) return;
    const signature = conflictSignature(conflict);
    if (!into.has(signature)) into.set(signature, conflict);
  }

  // -- bookkeeping ---------------------------------------------------------------------------------------------

  private requirerOf(key: string, candidate: Candidate): Requirer {
    return { kind: candidate.installed ? 'installed' : 'plugin', key, version: candidate.version };
  }

  private isNeeded(key: string): boolean {
    return key === this.root || this.requirersOf(key).length > 0;
  }

  private discover(key: string): void {
    if (this.known.has(key)) return;
    this.known.add(key);
    this.discovered.push(key);
  }

  private infoOf(key: string): KeyInfo {
    return this.infos.get(key) ?? { plugin: null, candidates: [] };
  }

  private constraintsOf(key: string): Constraint[] {
    let list = this.constraints.get(key);
    if (!list) this.constraints.set(key, (list = []));
    return list;
  }

  private requirersOf(key: string): string[] {
    let list = this.requirers.get(key);
    if (!list) this.requirers.set(key, (list = []));
    return list;
  }
}

function installedBy(installed: InstalledPlugin): Requirer {
  return { kind: 'installed', key: installed.key, version: installed.version };
}

function warningsOf(key: string, candidate: Candidate): PlanWarning[] {
  const warnings: PlanWarning[] = [];
  if (candidate.deprecated !== null) {
    const note = candidate.deprecated ? `: ${candidate.deprecated}` : '';
    warnings.push({ code: 'deprecated', message: `${at(key, candidate.version)} is deprecated${note}` });
  }
  if (candidate.yanked) warnings.push({ code: 'yanked', message: `${at(key, candidate.version)} was yanked` });
  return warnings;
}

/** Resolves the root request and its dependencies into a plan, or says why none exists. */
export async function resolveDependencies(request: ResolveRequest): Promise<Resolution> {
  const platform = semver.parse(request.platform);
  if (!platform) throw new TypeError(`the platform version is not semver: ${request.platform}`);
  const installed = new Map<string, InstalledPlugin>();
  for (const plugin of request.installed) {
    if (!semver.valid(plugin.version)) throw new TypeError(`installed ${plugin.key} has no semver: ${plugin.version}`);
    installed.set(plugin.key, plugin);
  }
  const spec = (request.spec ?? 'latest').trim();
  const installable = request.installable ?? approvedOnly;
  const sem = new Semantics(platform);
  const root = request.key;

  const first = await request.source.load([root]);
  const roots = rootCandidates(request, spec, first.get(root) ?? null, sem, installable);
  if ('kind' in roots) return roots;
  const infos = new Map<string, KeyInfo>([[root, { plugin: first.get(root) ?? null, candidates: roots.candidates }]]);
  const reached = await explore(request, infos, installed, sem, installable);

  const conditional: Array<{ installed: InstalledPlugin; deps: Dep[] }> = [];
  const fixed: Array<{ installed: InstalledPlugin; deps: Dep[] }> = [];
  for (const plugin of installed.values()) {
    if (plugin.key === root) continue; // the root is in every plan: its installed ranges never apply
    (reached.has(plugin.key) ? conditional : fixed).push({ installed: plugin, deps: sem.deps(plugin.dependencies) });
  }
  const search = new Search(root, infos, conditional, request.maxSteps ?? DEFAULT_MAX_STEPS, installable);
  search.fix(root, { range: spec, test: roots.test, by: { kind: 'request' }, floor: false });
  for (const { installed: plugin, deps } of fixed) {
    for (const dep of deps)
      search.fix(dep.key, { range: dep.range, test: dep.test, by: installedBy(plugin), floor: false });
  }
  for (const { installed: plugin } of conditional) {
    const floor = semver.parse(plugin.version)!;
    search.fix(plugin.key, {
      range: `>=${floor.version}`,
      test: (v) => v.compare(floor) >= 0,
      by: installedBy(plugin),
      floor: true,
    });
  }

  if (!search.run()) {
    const conflicts = search.conflicts();
    const reason = search.exhausted ? 'too_complex' : (conflicts[0]?.reason ?? 'unsatisfiable');
    return { kind: 'dependency', key: root, spec, reason, conflicts };
  }

  const steps: PlanStep[] = search.plan().map(({ key, candidate, requiredBy }) => {
    const was = installed.get(key);
    let action: PlanAction = 'install';
    if (key === root && was) action = candidate.sv.compare(was.version) === 0 ? 'keep' : 'upgrade';
    else if (was) action = candidate.installed ? 'keep' : 'upgrade';
    return {
      key,
      from: was?.version ?? null,
      to: candidate.version,
      action,
      capabilities: [...candidate.capabilities],
      dependencies: { ...candidate.dependencies },
      requiredBy,
      warnings: warningsOf(key, candidate),
    };
  });
  const top = steps[steps.length - 1];
  return {
    kind: 'plan',
    key: root,
    version: top.to,
    alreadyInstalled: installed.get(root)?.version ?? null,
    steps,
    warnings: steps.flatMap((s) => s.warnings.map((w) => ({ ...w, key: s.key, version: s.to }))),
  };
}
