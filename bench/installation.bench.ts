/**
 * Installation benchmarks (not a test), on the built app (`npm run build` first):
 *
 *   npx tsx bench/installation.bench.ts api [installs-per-round] [rounds]
 *     Install + activate of a plugin without dependencies through the API: POST /api/plugins/{plugin}/install/
 *     (resolution, settings and grants, the operation journal, the installation written, the sandbox loaded and
 *     its onInit run, the answer), timed one request at a time on loopback; each install is undone with DELETE
 *     …/install/ (not timed) so the next one installs again. Server CPU per install from /proc, around each call.
 *
 *   npx tsx bench/installation.bench.ts profile [installs]
 *     Where one install + activate through InstallService goes (plughub.hello, each for its own user, one at a
 *     time, after a warm-up): per stage (access, resolution, journal, writes, runtime start, events, …), the
 *     calls, the DB commands the engine received (by command name) and the process CPU, per install. Exclusive:
 *     a stage's figures leave out the stages it calls. Add `node --cpu-prof` (`npx tsx --cpu-prof …`) for a profile.
 *
 *   npx tsx bench/installation.bench.ts fleet [installations]
 *     10,000 active installations of the three sample plugins in one process: each installed through
 *     InstallService (as POST …/install/ does for a user: resolution, journal, write, start in the runtime) for its
 *     own user, BENCH_CONCURRENCY (default 8) at a time. Reports the time to install and start them all (and the
 *     process CPU per install, along the way too: it stays flat while nothing grows with the number installed),
 *     the process's resident memory, and the runtime's message round-trip p50/p99 to one of them
 *     (PluginRuntime.message, sequential) while all are live. It stops early, saying so, past BENCH_MAX_RSS_GIB
 *     (default 20) of resident memory or BENCH_MAX_SECONDS (default 1800). Goals: 10,000 live under 24 GiB,
 *     round-trip p50 < 0.1 ms.
 *
 * Note `uptime`'s load average beside the figures: on a shared machine they move with it.
 */
import {
  fromDist,
  inProcessApp,
  loadAverage as load,
  loginToken,
  inspectorProfiler,
  median,
  processCpuMs as cpuMs,
  processCpuMsOf,
  requestJson,
  requireBuild,
  startBenchServer,
  stopServer,
} from './support.js';

const mode = process.argv[2] ?? 'api';
requireBuild();

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
const fmt = (n: number, digits = 2) => n.toFixed(digits);

async function apiBench(): Promise<void> {
  const perRound = Number(process.argv[3] ?? 40);
  const rounds = Number(process.argv[4] ?? 5);
  const api = await startBenchServer();
  const call = (path: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
    requestJson(api.url, path, { method, body, headers });
  try {
    const auth = { authorization: `Bearer ${await loginToken(api.url)}` };
    await call(
      '/api/plugins/',
      'POST',
      {
        manifest: {
          key: 'bench.plain',
          name: 'Plain',
          version: '1.0.0',
          description: 'no dependencies, one setting, an onInit',
          runtime: { type: 'sandbox', entry: 'runner.js' },
          permissions: ['log', 'config:read', 'messages:receive'],
          settings: { greeting: { type: 'string', default: 'Hello' } },
        },
        files: {
          runner:
            'let g; export default { onInit(c) { g = c.config.greeting; }, onMessage: (m) => ({ text: g, got: m.data }) };',
        },
      },
      auth,
    );
    const pid = api.child.pid!;
    // Warm-up: the code paths, the worker pool, Mongo's indexes.
    for (let i = 0; i < 5; i++) {
      await call('/api/plugins/bench.plain/install/', 'POST', {}, auth);
      await call('/api/plugins/bench.plain/install/', 'DELETE', undefined, auth);
    }
    const all: number[] = [];
    const roundP50: number[] = [];
    let cpu = 0;
    for (let r = 0; r < rounds; r++) {
      const times: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const c0 = cpuMs(pid);
        const t0 = performance.now();
        const res = (await call('/api/plugins/bench.plain/install/', 'POST', {}, auth)) as {
          installation: { status: string };
        };
        times.push(performance.now() - t0);
        cpu += cpuMs(pid) - c0;
        if (res.installation.status !== 'active') throw new Error(`installed as ${res.installation.status}`);
        await call('/api/plugins/bench.plain/install/', 'DELETE', undefined, auth);
      }
      times.sort((a, b) => a - b);
      roundP50.push(percentile(times, 0.5));
      all.push(...times);
    }
    all.sort((a, b) => a - b);
    console.log(`install + activate through the API, ${rounds} rounds of ${perRound} (load ${load()})`);
    console.log(
      `  p50 ${fmt(percentile(all, 0.5))} ms, p99 ${fmt(percentile(all, 0.99))} ms, max ${fmt(all.at(-1)!)} ms`,
    );
    console.log(
      `  median of round p50s ${fmt(median(roundP50))} ms (rounds: ${roundP50.map((x) => fmt(x, 1)).join(', ')})`,
    );
    console.log(`  server CPU per install ${fmt(cpu / all.length, 1)} ms (10 ms ticks, summed over ${all.length})`);
  } finally {
    await stopServer(api.child);
  }
}

/** Exclusive per-stage accounting of one code path: calls, engine commands and process CPU, by a stack of stages. */
class StageProfile {
  private readonly stages = new Map<string, { calls: number; cpuUs: number; commands: Map<string, number> }>();
  private readonly stack = ['outside any stage'];
  private mark = process.cpuUsage();

  private stage(name: string) {
    let s = this.stages.get(name);
    if (!s) this.stages.set(name, (s = { calls: 0, cpuUs: 0, commands: new Map() }));
    return s;
  }

  private charge(): void {
    const now = process.cpuUsage();
    this.stage(this.stack.at(-1)!).cpuUs += now.user - this.mark.user + (now.system - this.mark.system);
    this.mark = now;
  }

  /** Counts a command the engine received against the stage running now. */
  command(name: string): void {
    const commands = this.stage(this.stack.at(-1)!).commands;
    commands.set(name, (commands.get(name) ?? 0) + 1);
  }

  /** Replaces `object[method]` by a version that runs as stage `name`. */
  wrap(object: object, method: string, name: string): void {
    const target = object as Record<string, (...args: unknown[]) => unknown>;
    const original = target[method].bind(object);
    target[method] = (...args: unknown[]) => {
      this.charge();
      this.stack.push(name);
      this.stage(name).calls++;
      const leave = () => {
        this.charge();
        this.stack.splice(this.stack.lastIndexOf(name), 1);
      };
      try {
        const result = original(...args);
        if (result instanceof Promise) return result.finally(leave);
        leave();
        return result;
      } catch (err) {
        leave();
        throw err;
      }
    };
  }

  reset(): void {
    this.charge();
    this.stages.clear();
  }

  print(per: number): void {
    this.charge();
    const rows = [...this.stages.entries()].sort((a, b) => b[1].cpuUs - a[1].cpuUs);
    const total = rows.reduce((sum, [, s]) => sum + s.cpuUs, 0);
    const allCommands = rows.reduce((sum, [, s]) => sum + [...s.commands.values()].reduce((a, b) => a + b, 0), 0);
    console.log(
      `  ${'stage'.padEnd(44)} ${'calls'.padStart(6)} ${'commands'.padStart(9)} ${'CPU ms'.padStart(8)}  by name`,
    );
    for (const [name, s] of rows) {
      const commands = [...s.commands.values()].reduce((a, b) => a + b, 0);
      const byName = [...s.commands.entries()].map(([c, n]) => `${c} ${fmt(n / per, 1)}`).join(', ');
      console.log(
        `  ${name.padEnd(44)} ${fmt(s.calls / per, 1).padStart(6)} ${fmt(commands / per, 1).padStart(9)} ` +
          `${fmt(s.cpuUs / 1000 / per, 3).padStart(8)}  ${byName}`,
      );
    }
    console.log(
      `  ${'total'.padEnd(44)} ${''.padStart(6)} ${fmt(allCommands / per, 1).padStart(9)} ${fmt(total / 1000 / per, 3).padStart(8)}`,
    );
  }
}

/** The built app with the sample plugins, started in this process, and its InstallService. */
async function samplesApp() {
  const app = await inProcessApp({ PLUGHUB_SAMPLES: 'true' });
  await app.init();
  const { InstallService } = await fromDist<typeof import('../apps/api/src/installation/install.service.js')>(
    'installation/install.service.js',
  );
  return { app, installer: app.get(InstallService) };
}

/** The caller of bench user `i`: a user id of 24 hex digits starting with `idPrefix`, named `${name} ${i}`. */
const benchCaller = (idPrefix: string, name: string, i: number) => ({
  id: `${idPrefix}${(i + 1).toString(16).padStart(23, '0')}`,
  email: `${name.toLowerCase()}${i}@plughub.local`,
  name: `${name} ${i}`,
  roles: [],
  method: 'jwt' as const,
  scopes: null,
});

async function profileBench(): Promise<void> {
  const count = Number(process.argv[3] ?? 200);
  const { app, installer } = await samplesApp();
  const { Engine } = await fromDist<typeof import('../libs/embedded-mongo/src/engine.js')>(
    '../../../libs/embedded-mongo/src/engine.js',
  );
  const profile = new StageProfile();
  // Every command the engine receives, named by its first field (find, insert, update, findAndModify, …).
  const engine = Engine.prototype as unknown as Record<'run', (...args: unknown[]) => unknown>;
  const run = engine.run;
  engine.run = function (this: unknown, ...args: unknown[]) {
    profile.command(Object.keys(args[0] as object)[0] ?? '?');
    return run.apply(this, args);
  };
  // [module under dist/apps/api/src, the class it exports, its methods timed, the stage they are charged to]
  const installation = 'installation/persistence/installation.repository.js';
  const stages: Array<[string, string, string[], string]> = [
    ['installation/install.service.js', 'InstallService', ['install'], 'InstallService (its own code)'],
    ['installation/installations.service.js', 'InstallationsService', ['target'], 'target: access check'],
    ['installation/installations.service.js', 'InstallationsService', ['response'], 'answer (response mapping)'],
    ['installation/install-resolution.js', 'InstallResolution', ['resolve'], 'resolution (resolver, kill check)'],
    ['registry/plugin-versions.service.js', 'PluginVersionsService', ['installables'], 'resolution: registry versions'],
    [installation, 'InstallationRepository', ['listInTarget'], 'resolution: target installations'],
    [installation, 'InstallationRepository', ['findRetained'], 'retained settings lookup'],
    ['secrets/secret-box.js', 'SecretBox', ['seal'], 'secrets sealed'],
    [
      'installation/operation-journal.js',
      'OperationJournal',
      ['begin', 'phase', 'commit'],
      'journal (begin, phase, commit)',
    ],
    [
      'installation/persistence/operation.repository.js',
      'OperationRepository',
      ['begin', 'setPhase', 'end'],
      'journal: writes',
    ],
    [installation, 'InstallationRepository', ['releaseOperation'], 'journal: installations released'],
    [installation, 'InstallationRepository', ['insert'], 'installation written'],
    [installation, 'InstallationRepository', ['update'], 'status settled'],
    ['installation/installation-runtime.js', 'InstallationRuntime', ['start'], 'runtime start (app side)'],
    ['installation/installation-runtime.js', 'InstallationRuntime', ['package'], 'runtime start: package read'],
    ['../../../libs/runtime/src/index.js', 'PluginRuntime', ['load'], 'runtime start: PluginRuntime.load'],
    [
      'installation/installation-events.js',
      'InstallationEvents',
      ['changed', 'lifecycle', 'statusChanged', 'updated'],
      'events (their listeners)',
    ],
    ['messaging/persistence/event.repository.js', 'EventRepository', ['appendMany'], 'events: stored (messaging)'],
    [
      'installation/installation-directory.adapter.js',
      'InstallationDirectoryAdapter',
      ['subscribers'],
      'events: subscriber list',
    ],
  ];
  for (const [path, exported, methods, name] of stages) {
    const provider = (await fromDist<Record<string, abstract new (...args: never[]) => unknown>>(path))[exported];
    for (const m of methods) profile.wrap(app.get<unknown, object>(provider), m, name);
  }
  const installOne = async (i: number) => {
    const res = await installer.install(benchCaller('b', 'Profile', i), 'plughub.hello', {}, {});
    if (res.installation?.status !== 'active') throw new Error(`install #${i} is ${res.installation?.status}`);
  };
  for (let i = 0; i < 20; i++) await installOne(i);
  profile.reset();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 20; i < 20 + count; i++) await installOne(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  console.log(`one install + activate through InstallService, ${count} in a row after 20 (load ${load()})`);
  console.log(
    `  ${fmt(wall / count, 2)} ms each, process CPU ${fmt((cpu.user + cpu.system) / 1000 / count, 2)} ms each`,
  );
  profile.print(count);
  await app.close();
}

async function fleetBench(): Promise<void> {
  const total = Number(process.argv[3] ?? 10_000);
  const maxRss = Number(process.env.BENCH_MAX_RSS_GIB ?? 20) * 1024 ** 3;
  const maxMs = Number(process.env.BENCH_MAX_SECONDS ?? 1800) * 1000;
  const { app, installer } = await samplesApp();
  const { InstallationRuntime } = await fromDist<typeof import('../apps/api/src/installation/installation-runtime.js')>(
    'installation/installation-runtime.js',
  );
  const runtime = app.get(InstallationRuntime);
  const plugins: Array<[string, Record<string, unknown>]> = [
    ['plughub.hello', {}],
    ['plughub.counter', { admin_token: 'bench-admin-token' }],
    ['plughub.webhook-relay', { webhook_url: 'https://hooks.example.com/bench' }],
  ];
  const gib = (b: number) => b / 1024 ** 3;
  const baseline = process.memoryUsage().rss;
  const inFlight = Number(process.env.BENCH_CONCURRENCY ?? 8);
  const cpuMsNow = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const cpuStart = cpuMsNow();
  const started = performance.now();
  let done = 0;
  // Set inside the workers (a plain `let x: T | null = null` would stay narrowed to null here).
  let stopped = null as string | null;
  let helloId = null as string | null;
  const installOne = async (i: number) => {
    const [key, config] = plugins[i % plugins.length];
    const res = await installer.install(benchCaller('a', 'Bench', i), key, { config }, {});
    if (res.installation?.status !== 'active') throw new Error(`${key} #${i} is ${res.installation?.status}`);
    if (key === 'plughub.hello' && helloId === null) helloId = res.installation.runtime_id;
    done++;
  };
  let next = 0;
  let reported = 0;
  let reportedCpu = cpuStart;
  const worker = async () => {
    while (next < total && stopped === null) {
      await installOne(next++);
      const rss = process.memoryUsage().rss;
      if (rss > maxRss) stopped = `resident memory passed ${fmt(gib(maxRss))} GiB`;
      if (performance.now() - started > maxMs) stopped = `${maxMs / 1000} s passed`;
      if (done - reported >= Math.max(100, Math.min(1000, Math.floor(total / 10)))) {
        const s = fmt((performance.now() - started) / 1000, 1);
        // CPU per install over the last stretch: flat while nothing grows with the number installed.
        const cpu = cpuMsNow();
        const per = fmt((cpu - reportedCpu) / (done - reported), 1);
        [reported, reportedCpu] = [done, cpu];
        console.log(
          `  ${done} live after ${s} s, RSS ${fmt(gib(rss))} GiB, ${per} ms CPU each lately (load ${load()})`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  const elapsed = performance.now() - started;
  const cpuEach = (cpuMsNow() - cpuStart) / done;
  const rss = process.memoryUsage().rss;
  console.log(`${done} active installations of the samples${stopped ? ` (stopped early: ${stopped})` : ''}`);
  console.log(
    `  installed and started in ${fmt(elapsed / 1000, 1)} s (${fmt(elapsed / done, 1)} ms each, ${inFlight} at a time; ` +
      `process CPU ${fmt(cpuEach, 1)} ms each, every thread)`,
  );
  console.log(
    `  resident memory ${fmt(gib(rss))} GiB; ${fmt(gib(baseline))} GiB before the first install, so ` +
      `${fmt((rss - baseline) / done / 1024 ** 2)} MiB per installation`,
  );
  const live = runtime.status(helloId!);
  if (live?.state !== 'ready') throw new Error(`the hello installation is ${live?.state ?? 'not loaded'}`);
  const { PluginRuntime } = await fromDist<typeof import('../libs/runtime/src/index.js')>(
    '../../../libs/runtime/src/index.js',
  );
  const plugin = app.get(PluginRuntime);
  await idleFleet(app, done);
  for (let i = 0; i < 500; i++) await plugin.message(helloId!, { type: 'ping', data: null });
  const times: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const t0 = performance.now();
    await plugin.message(helloId!, { type: 'ping', data: null });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    `  message round-trip to one of them while all are live: p50 ${fmt(percentile(times, 0.5), 3)} ms, p99 ${fmt(percentile(times, 0.99), 3)} ms (load ${load()})`,
  );
  await app.close();
}

/** utime + stime of this process's main thread (its JavaScript event loop) so far, in ms, from /proc. */
const mainThreadCpuMs = () => processCpuMsOf(`/proc/${process.pid}/task/${process.pid}/stat`);

/**
 * What the fleet costs while nobody uses it, after BENCH_SETTLE_SECONDS (default 10) for the installs' own
 * aftermath (flushes, event deliveries): over BENCH_IDLE_SECONDS (default 30, one default health interval), the
 * process CPU per second (every thread, and the main thread alone), the hook calls the runtime made per second by
 * hook (the background health checks), and the commands the engine received per second by name (the writes and
 * reads the idle work causes). BENCH_IDLE_PROFILE=file writes a CPU profile of the main thread over that window.
 */
async function idleFleet(app: Awaited<ReturnType<typeof inProcessApp>>, live: number): Promise<void> {
  const settle = Number(process.env.BENCH_SETTLE_SECONDS ?? 10) * 1000;
  const seconds = Number(process.env.BENCH_IDLE_SECONDS ?? 30);
  await new Promise((resolve) => setTimeout(resolve, settle));
  const { EventBus } = await fromDist<typeof import('../libs/common/src/index.js')>(
    '../../../libs/common/src/index.js',
  );
  const { Engine } = await fromDist<typeof import('../libs/embedded-mongo/src/engine.js')>(
    '../../../libs/embedded-mongo/src/engine.js',
  );
  const hooks = new Map<string, number>();
  const commands = new Map<string, number>();
  const count = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const off = app.get(EventBus).on('runtime.call', (e) => void count(hooks, e.hook));
  const engine = Engine.prototype as unknown as Record<'run', (...args: unknown[]) => unknown>;
  const run = engine.run;
  engine.run = function (this: unknown, ...args: unknown[]) {
    count(commands, Object.keys(args[0] as object)[0] ?? '?');
    return run.apply(this, args);
  };
  const profileFile = process.env.BENCH_IDLE_PROFILE;
  const profiler = profileFile ? inspectorProfiler() : null;
  await profiler?.start();
  const c0 = process.cpuUsage();
  const m0 = mainThreadCpuMs();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const main = mainThreadCpuMs() - m0;
  await profiler?.stop(profileFile!);
  off();
  engine.run = run;
  const perSecond = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, n]) => `${k} ${fmt(n / wall, 1)}`)
      .join(', ') || 'none';
  console.log(`  idle, ${live} live, over ${fmt(wall, 1)} s after ${settle / 1000} s to settle (load ${load()}):`);
  console.log(
    `    process CPU ${fmt((cpu.user + cpu.system) / 1000 / wall, 1)} ms/s (every thread), main thread ${fmt(main / wall, 1)} ms/s`,
  );
  console.log(`    hook calls/s: ${perSecond(hooks)}`);
  console.log(`    engine commands/s: ${perSecond(commands)}`);
}

if (mode === 'api') await apiBench();
else if (mode === 'fleet') await fleetBench();
else if (mode === 'profile') await profileBench();
else throw new Error(`unknown mode ${mode}: api, profile or fleet`);
