/**
 * Dependency resolver benchmark (not a test): `npx tsx bench/dependency-resolver.bench.ts`.
 *
 * A seeded registry of 1,000 published plugins with five to seven versions each (1.x and 2.x lines with different
 * dependencies, some prereleases, yanked, deprecated and platform-incompatible versions); the root is the first
 * plugin whose plan holds exactly 20 transitive dependencies. The target already has some of them installed (one
 * kept, one to upgrade) and an installed plugin outside the plan pins one to `~2.0.0`, so the search has to step
 * off the newest version there. Timed per resolution, in alternating rounds:
 *   - an in-memory source;
 *   - a source that costs an await per key (a turn of the event loop, as a database read would at the least);
 *   - the pin moved to `^1.0.0`: the newest requirers of the pinned plugin all want 2.x, so the search has to
 *     back off to their older lines (and whatever those need);
 *   - the pin moved to `~9.0.0`, which no version meets: the search must prove no plan exists, or find one that
 *     avoids the pinned plugin altogether.
 * Targets: p50 < 50 ms for the first two.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { distTags } from '../apps/api/src/registry/dist-tags.js';
import {
  type InstalledPlugin,
  type Resolution,
  resolveDependencies,
  type ResolverSource,
  type SourcePlugin,
  type SourceVersion,
} from '../apps/api/src/installation/dependency-resolver.js';

const PLUGINS = 1_000;
const WANTED_DEPENDENCIES = 20;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const PER_ROUND = Number(process.env.BENCH_PER_ROUND ?? 50);
const PLATFORM = '0.1.0';

/** mulberry32: a small seeded PRNG, so every run benchmarks the same registry. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyOf = (i: number) => `bench.p${String(i).padStart(4, '0')}`;

function buildRegistry(): Map<string, SourcePlugin> {
  const random = prng(20261201);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const chance = (p: number) => random() < p;
  // Dependencies point at plugins up to 40 places later, so every registry is a DAG of realistic depth.
  const depsFor = (i: number, ranges: readonly string[]) => {
    const deps: Record<string, string> = {};
    const count = pick([0, 0, 1, 1, 1, 2, 2, 3]);
    for (let n = 0; n < count && i + 1 < PLUGINS; n++) {
      deps[keyOf(Math.min(PLUGINS - 1, i + 1 + Math.floor(random() * 40)))] = pick(ranges);
    }
    return deps;
  };
  const registry = new Map<string, SourcePlugin>();
  for (let i = 0; i < PLUGINS; i++) {
    const one = depsFor(i, ['^1.0.0', '^1.1.0', '>=1.0.0 <2.0.0']);
    const two = depsFor(i, ['^2.0.0', '^2.0.0', '>=2.0.0 <3.0.0', '^2.0.0 || ^1.2.0']);
    const version = (v: string, dependencies: Record<string, string>, more: Partial<SourceVersion> = {}) => ({
      version: v,
      status: 'approved' as const,
      yanked: false,
      deprecated: null,
      engines: '>=0.1.0',
      dependencies,
      capabilities: ['log' as const, 'storage:write' as const],
      ...more,
    });
    const versions: SourceVersion[] = [
      version('1.0.0', one),
      version('1.1.0', one, { yanked: chance(0.1) }),
      version('1.2.0', one, { deprecated: chance(0.2) ? 'use 2.x' : null }),
      version('2.0.0', two),
      version('2.1.0', two, chance(0.1) ? { engines: '>=1.0.0' } : {}),
    ];
    if (chance(0.3)) versions.push(version('3.0.0-beta.1', two));
    if (chance(0.3)) versions.push(version('2.2.0', two, { status: 'pending' }));
    registry.set(keyOf(i), { versions, distTags: distTags(versions) });
  }
  return registry;
}

function memorySource(registry: Map<string, SourcePlugin>, stats?: { calls: number; keys: number }): ResolverSource {
  return {
    load(keys) {
      if (stats) {
        stats.calls++;
        stats.keys += keys.length;
      }
      return Promise.resolve(new Map(keys.map((k) => [k, registry.get(k) ?? null])));
    },
  };
}

function awaitingSource(registry: Map<string, SourcePlugin>): ResolverSource {
  return {
    async load(keys) {
      const found = new Map<string, SourcePlugin | null>();
      for (const k of keys) {
        await nextTurn();
        found.set(k, registry.get(k) ?? null);
      }
      return found;
    },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );
const fmt = (n: number, digits = 3) => n.toFixed(digits);

function describe(r: Resolution): string {
  if (r.kind !== 'plan') return `${r.kind}${r.kind === 'dependency' ? `/${r.reason}` : ''}`;
  const count = (a: string) => r.steps.filter((s) => s.action === a).length;
  const actions = `install ${count('install')}, upgrade ${count('upgrade')}, keep ${count('keep')}`;
  return `plan: root@${r.version} + ${r.steps.length - 1} dependencies (${actions})`;
}

async function main(): Promise<void> {
  let t = performance.now();
  const registry = buildRegistry();
  const built = performance.now() - t;

  // The root: the first plugin whose plan (nothing installed) has exactly 20 dependencies.
  let root = '';
  let bare: Resolution | null = null;
  for (let i = 0; i < PLUGINS && !root; i++) {
    const r = await resolveDependencies({
      key: keyOf(i),
      platform: PLATFORM,
      installed: [],
      source: memorySource(registry),
    });
    if (r.kind === 'plan' && r.steps.length === WANTED_DEPENDENCIES + 1) [root, bare] = [keyOf(i), r];
  }
  if (!bare || bare.kind !== 'plan') throw new Error('no plugin with 20 transitive dependencies in this registry');

  // Installed state from the bare plan: one dependency kept as installed, one an older line that must move up,
  // and an installed dependent outside the plan that pins a third one.
  const deps = bare.steps.slice(0, -1);
  const pinnedStep = deps.find((s) => s.to === '2.1.0') ?? deps[2];
  const keptStep = deps.find((s) => s !== pinnedStep && s.to.startsWith('2.'))!;
  const movedStep = deps.find((s) => s !== pinnedStep && s !== keptStep && s.to.startsWith('2.'))!;
  const installedWith = (pin: string): InstalledPlugin[] => [
    { key: keptStep.key, version: '2.0.0', dependencies: keptStep.dependencies },
    { key: movedStep.key, version: '1.0.0', dependencies: registry.get(movedStep.key)!.versions[0].dependencies },
    { key: 'bench.pinning', version: '1.0.0', dependencies: { [pinnedStep.key]: pin } },
  ];
  const request = (source: ResolverSource, pin = '~2.0.0') => ({
    key: root,
    platform: PLATFORM,
    installed: installedWith(pin),
    source,
  });

  const stats = { calls: 0, keys: 0 };
  const planned = await resolveDependencies(request(memorySource(registry, stats)));
  if (planned.kind !== 'plan' || planned.steps.length !== WANTED_DEPENDENCIES + 1) {
    throw new Error(`unexpected benchmark scenario: ${describe(planned)}`);
  }
  const variants = { older: '^1.0.0', none: '~9.0.0' };
  const outcomes = {
    older: await resolveDependencies(request(memorySource(registry), variants.older)),
    none: await resolveDependencies(request(memorySource(registry), variants.none)),
  };

  const cases = [
    { name: 'in-memory source', run: () => resolveDependencies(request(memorySource(registry))), target: 50 },
    { name: 'await per key', run: () => resolveDependencies(request(awaitingSource(registry))), target: 50 },
    {
      name: `pin ${variants.older} (in-memory)`,
      run: () => resolveDependencies(request(memorySource(registry), variants.older)),
      target: undefined,
    },
    {
      name: `pin ${variants.none} (in-memory)`,
      run: () => resolveDependencies(request(memorySource(registry), variants.none)),
      target: undefined,
    },
  ];
  for (const c of cases) for (let i = 0; i < 100; i++) await c.run(); // warm-up

  const samples = cases.map(() => [] as number[]);
  const roundMedians = cases.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [n, c] of cases.entries()) {
      const these: number[] = [];
      for (let i = 0; i < PER_ROUND; i++) {
        t = performance.now();
        await c.run();
        these.push(performance.now() - t);
      }
      samples[n].push(...these);
      roundMedians[n].push(median(these));
    }
  }

  console.log(
    `\nPlughub dependency resolver benchmark: Node ${process.version}, ${process.platform}/${process.arch}\n`,
  );
  console.log(
    `registry: ${PLUGINS} plugins, ${[...registry.values()].reduce((n, p) => n + p.versions.length, 0)} versions`,
  );
  console.log(`          (built in ${fmt(built, 0)} ms); root ${root}`);
  console.log(
    `request:  ${describe(planned)}; pinned ${pinnedStep.key} to ${planned.steps.find((s) => s.key === pinnedStep.key)!.to}`,
  );
  console.log(`          source: ${stats.calls} load calls, ${stats.keys} keys read`);
  console.log(`pin ${variants.older}: ${describe(outcomes.older)}`);
  console.log(`pin ${variants.none}: ${describe(outcomes.none)}`);
  console.log(`\n${ROUNDS} alternating rounds x ${PER_ROUND} resolutions per case\n`);
  const header = ['case', 'p50 ms', 'p99 ms', 'median of rounds', 'target', ''];
  const rows = cases.map((c, n) => {
    const sorted = [...samples[n]].sort((a, b) => a - b);
    const p50 = percentile(sorted, 0.5);
    const ok = c.target === undefined ? '' : p50 < c.target ? 'ok' : 'MISS';
    return [
      c.name,
      fmt(p50),
      fmt(percentile(sorted, 0.99)),
      fmt(median(roundMedians[n])),
      c.target ? `< ${c.target}` : '-',
      ok,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

await main();
