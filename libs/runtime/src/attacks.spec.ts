import { afterEach, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { RuntimeError } from './runtime-error.js';
import type { LoadSpec, RuntimeOptions } from './runtime.types.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin, RecordingObserver } from './testing.js';

/**
 * Issue 11's attacks, each run while two well-behaved neighbours keep calls in flight, one of them on the
 * attacker's worker: the neighbours' calls all succeed, their crash counters stay 0, and the attacker ends failed
 * or quarantined, charged for what it did. Budgets are small so the suite is quick; each attack works at the
 * defaults too, only slower. No verdict here depends on how fast the machine is: what is counted is outcomes,
 * calls, crash counters and charges, never a duration.
 */

/** A neighbour whose calls stay in flight: each one waits on a host call (a message the bridge answers later). */
const NEIGHBOUR = `let c, inits = 0; export default {
  onInit(x) { c = x; inits++; },
  async onMessage(m) { await c.messages.send('acme.clock', 'tick', null); return { pong: m.data, inits }; },
}`;

const observer = new RecordingObserver();
const bridge = {
  emitEvent: () => undefined,
  sendMessage: () => new Promise<unknown>((resolve) => setTimeout(() => resolve('tick'), 20)),
};

let runtime: PluginRuntime;
let neighbours: LoadSpec[];

async function setUp(options: RuntimeOptions = {}): Promise<void> {
  runtime = new PluginRuntime({
    observer,
    bridge,
    storage: new MemoryPluginStorage(),
    workers: 2,
    maxCrashes: 3,
    watchdogGraceMs: 500,
    cpu: { windowMs: 1000, budgetMs: 200, backgroundSliceMs: 10 },
    ...options,
  });
  const permissions = ['messages:receive' as const, 'messages:send' as const];
  const limits = { timeout_ms: 10_000 };
  neighbours = [inlinePlugin(NEIGHBOUR, { permissions, limits }), inlinePlugin(NEIGHBOUR, { permissions, limits })];
  for (const spec of neighbours) await runtime.load(spec);
}

afterEach(() => runtime.close());

/** Loads the attacker; least-loaded placement puts it beside the first neighbour. */
async function loadAttacker(spec: LoadSpec): Promise<void> {
  await runtime.load(spec);
  expect(runtime.status(spec.installationId)!.workerId).toBe(runtime.status(neighbours[0].installationId)!.workerId);
  expect(runtime.status(neighbours[1].installationId)!.workerId).not.toBe(
    runtime.status(spec.installationId)!.workerId,
  );
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return (error as RuntimeError).code;
  }
}

/**
 * Runs `attack` while both neighbours keep two calls each in flight; checks they were not harmed by it: every call
 * they made meanwhile succeeded (each loop made at least one), and their crash counters stayed 0.
 */
async function withNeighbours(attack: () => Promise<void>): Promise<void> {
  const stop = { done: false };
  const loop = async (spec: LoadSpec) => {
    const outcomes: string[] = [];
    for (let i = 0; !stop.done || outcomes.length === 0; i++) {
      outcomes.push(await outcome(runtime.message(spec.installationId, { type: 'tick', data: i })));
    }
    return outcomes;
  };
  const loops = [...neighbours, ...neighbours].map(loop);
  try {
    await attack();
  } finally {
    stop.done = true;
  }
  const outcomes = (await Promise.all(loops)).flat();
  expect(outcomes.filter((o) => o !== 'ok')).toEqual([]);
  for (const spec of neighbours) {
    expect(runtime.status(spec.installationId)).toMatchObject({ state: 'ready', recentFailures: 0 });
  }
}

/** The attacker ended failed or quarantined, and was charged for it. */
function expectCharged(spec: LoadSpec): void {
  const status = runtime.status(spec.installationId)!;
  expect(status.state === 'failed' || status.quarantine !== undefined).toBe(true);
  expect(status.state === 'failed' || status.recentFailures > 0).toBe(true);
}

const failed = (spec: LoadSpec) =>
  expect.poll(() => runtime.status(spec.installationId)?.state, { timeout: 20_000, interval: 50 }).toBe('failed');

/**
 * An attacker whose work dies with its budget starts it again, call after call, until it is failed (through a
 * reload too: a worker lost under a loaded machine's watchdog reloads it, onInit re-arming it).
 */
async function rearmUntilFailed(spec: LoadSpec): Promise<void> {
  for (let i = 0; i < 200 && runtime.status(spec.installationId)?.state !== 'failed'; i++) {
    await runtime.message(spec.installationId, { type: 'go' }).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await failed(spec);
}

describe('CPU is bounded to calls', () => {
  // QuickJS's interrupt is uncatchable, so a chain that loops dies at its slice's end; these jobs never loop (no
  // interrupt poll inside them) and fifty chains run side by side, as an attacker would write them.
  const WORK = 'const data = Array.from({ length: 1000 }, (_, i) => ({ i })); const work = () => JSON.stringify(data);';

  // The watchdog is not what these two are about: a batch of jobs that never poll can overrun its slice by a lot on
  // a loaded machine, so it is given a grace the budget always runs out before. The budget counts the worker
  // thread's CPU time, not wall time, and a worker on a machine at load 25 gets ~150 ms of CPU per second: the
  // window is long enough for an attacker to spend the attacker's 200 ms (its timeout_ms) at any load.
  const BUDGET = { watchdogGraceMs: 60_000, cpu: { windowMs: 5_000, budgetMs: 200, backgroundSliceMs: 10 } };

  it('self-replicating promise jobs after the hook answered, re-armed by onInit, exhaust only their own budget', async () => {
    await setUp(BUDGET);
    const attacker = inlinePlugin(
      `${WORK} function spin() { work(); Promise.resolve().then(spin); }
       function arm() { for (let i = 0; i < 5; i++) Promise.resolve().then(spin); }
       export default { onInit() { arm(); }, onMessage() { arm(); return 'answered'; } }`,
      { limits: { timeout_ms: 200 } },
    );
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      await rearmUntilFailed(attacker);
    });
    expectCharged(attacker);
    const charges = observer.logs.filter(
      (l) => l.installationId === attacker.installationId && /CPU budget/.test(l.message),
    );
    expect(charges.length).toBeGreaterThanOrEqual(3);
    expect(runtime.status(attacker.installationId)!.cpuMs).toBeGreaterThan(0);
  }, 120_000); // three budget windows of 5 s

  it('CPU spent in host-call results while no call is active is charged to the plugin that spends it', async () => {
    await setUp(BUDGET);
    const attacker = inlinePlugin(
      `${WORK} let c; function next() { c.storage.get('k').then(() => { work(); next(); }); }
       export default { onInit(x) { c = x; }, onMessage() { for (let i = 0; i < 60; i++) next(); return 'started'; } }`,
      { permissions: ['messages:receive', 'storage:read'], limits: { timeout_ms: 200 } },
    );
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      expect(await runtime.message(attacker.installationId, { type: 'go' })).toBe('started');
      await rearmUntilFailed(attacker);
    });
    expectCharged(attacker);
  }, 120_000);

  it.each([
    ['indexOf', 'Array.prototype.indexOf.call({ length: 2 ** 32 - 1 }, 1)'],
    ['includes', 'Array.prototype.includes.call({ length: 2 ** 32 - 1 }, 1)'],
    ['lastIndexOf', 'Array.prototype.lastIndexOf.call({ length: 2 ** 32 - 1 }, 1)'],
    ['join', "new Array(1e9).join('')"],
  ])('%s over a huge array-like is interrupted at its own deadline, not by killing the worker', async (_, expr) => {
    await setUp({ cpu: { windowMs: 10_000, budgetMs: 60_000, backgroundSliceMs: 10 } });
    const attacker = inlinePlugin(`export default { onMessage() { return ${expr}; } }`, {
      limits: { timeout_ms: 200 },
    });
    const workerOf = (spec: LoadSpec) => runtime.status(spec.installationId)!.workerId;
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      const worker = workerOf(neighbours[0]);
      for (let i = 0; i < 3; i++) {
        const error = await runtime.message(attacker.installationId, { type: 'x' }).catch((e: RuntimeError) => e);
        expect((error as RuntimeError).code).toBe('PLUGIN_TIMEOUT');
      }
      expect(workerOf(neighbours[0])).toBe(worker); // no worker was lost
    });
    expectCharged(attacker);
    expect(runtime.status(attacker.installationId)!.state).toBe('failed');
  });

  it('a built-in that runs long natively past its deadline is stopped by the watchdog, blamed and quarantined', async () => {
    await setUp();
    // A million-bit BigInt's decimal form takes seconds of native work with no interrupt poll.
    const attacker = inlinePlugin('export default { onMessage() { return (2n ** 1000000n).toString().length; } }', {
      limits: { timeout_ms: 100 },
    });
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      const error = await runtime.message(attacker.installationId, { type: 'x' }).catch((e: RuntimeError) => e);
      expect((error as RuntimeError).code).toBe('PLUGIN_KILLED');
      expect((error as RuntimeError).details.reason).toBe('worker_lost');
      expect((await runtime.health(attacker.installationId)).state).toBe('ready'); // waits for its reload
    });
    expectCharged(attacker);
    const status = runtime.status(attacker.installationId)!;
    expect(status.quarantine?.reason).toMatch(/worker was lost/);
    // Quarantined on a worker of its own, away from both neighbours.
    for (const spec of neighbours) expect(runtime.status(spec.installationId)!.workerId).not.toBe(status.workerId);
    // Its next runaway only costs its own worker.
    const again = await runtime.message(attacker.installationId, { type: 'x' }).catch((e: RuntimeError) => e);
    expect((again as RuntimeError).code).toBe('PLUGIN_KILLED');
    // An operator clears the quarantine: back on a shared worker.
    expect((await runtime.health(attacker.installationId)).state).toBe('ready');
    await runtime.clearQuarantine(attacker.installationId);
    expect(runtime.status(attacker.installationId)).toMatchObject({ state: 'ready', recentFailures: 2 });
    expect(runtime.status(attacker.installationId)!.quarantine).toBeUndefined();
    expect(neighbours.map((n) => runtime.status(n.installationId)!.workerId)).toContain(
      runtime.status(attacker.installationId)!.workerId,
    );
  }, 120_000); // three worker spawns (from source through tsx) take seconds each on a loaded machine

  it('a slow but legal plugin whose calls queue in its worker is not terminated: calls are timed from their start', async () => {
    await setUp({ cpu: { windowMs: 10_000, budgetMs: 60_000, backgroundSliceMs: 10 } });
    const slow = inlinePlugin(
      'export default { onMessage() { const t = Date.now(); while (Date.now() - t < 150) {} return "done"; } }',
      { limits: { timeout_ms: 1000, max_pending: 32 } },
    );
    await withNeighbours(async () => {
      await loadAttacker(slow);
      // 15 calls of 150 ms each queue for 2.25 s in one worker, longer than timeout_ms + watchdogGraceMs.
      const results = await Promise.all(
        Array.from({ length: 15 }, () => outcome(runtime.message(slow.installationId, { type: 'x' }))),
      );
      expect(results).toEqual(Array.from({ length: 15 }, () => 'ok'));
    });
    expect(runtime.status(slow.installationId)).toMatchObject({ state: 'ready', recentFailures: 0 });
    expect(runtime.status(slow.installationId)!.quarantine).toBeUndefined();
  });
});

describe('limits come from the platform', () => {
  it("a manifest's timeout_ms: 300000, memory_mb: 512 is not applied when the installation was granted none", async () => {
    await setUp({
      limits: { defaults: { timeout_ms: 300 } },
      cpu: { windowMs: 10_000, budgetMs: 60_000, backgroundSliceMs: 10 },
    });
    const attacker = inlinePlugin('export default { onMessage() { for (;;) {} } }', {
      manifest: { limits: { timeout_ms: 300_000, memory_mb: 512 } },
    });
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      expect(runtime.status(attacker.installationId)!.limits).toMatchObject({ timeout_ms: 300, memory_mb: 32 });
      for (let i = 0; i < 3; i++) {
        expect(await outcome(runtime.message(attacker.installationId, { type: 'x' }))).toBe('PLUGIN_TIMEOUT');
      }
    });
    expectCharged(attacker);
  });
});

describe('out-of-memory is read from the engine', () => {
  it('a thrown "out of memory" or null is a plain error: not a memory-limit hit, not a crash, no recycling', async () => {
    await setUp();
    const attacker = inlinePlugin(
      `export default { onMessage(m) {
        if (m.type === 'message') throw new Error('out of memory');
        if (m.type === 'internal') throw new InternalError('out of memory');
        throw null;
      } }`,
    );
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      for (const type of ['message', 'internal', 'null']) {
        const error = await runtime.message(attacker.installationId, { type }).catch((e: RuntimeError) => e);
        expect((error as RuntimeError).code).toBe('PLUGIN_ERROR');
      }
    });
    expect(runtime.status(attacker.installationId)).toMatchObject({ state: 'ready', recentFailures: 0, errors: 3 });
    // No neighbour was reloaded (a recycled worker would have run their onInit again).
    for (const spec of neighbours) {
      expect(await runtime.message(spec.installationId, { type: 'x', data: 1 })).toMatchObject({ inits: 1 });
    }
  });

  it.each([
    ['small objects', 'const a = []; for (let i = 0; ; i++) a.push({ i, s: "y" + i, list: [i, i + 1] });'],
    ['large strings kept', 'globalThis.keep = []; for (;;) keep.push("x".repeat(1 << 20) + Math.random());'],
  ])('a real memory bomb (%s) hits PLUGIN_MEMORY_LIMIT, is charged, and fails alone', async (_, bomb) => {
    await setUp();
    const attacker = inlinePlugin(`export default { onMessage() { ${bomb} } }`, {
      limits: { memory_mb: 16, timeout_ms: 20_000 }, // the memory limit ends it, however slow the machine
    });
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      for (let i = 0; i < 3 && runtime.status(attacker.installationId)!.state === 'ready'; i++) {
        const error = await runtime.message(attacker.installationId, { type: 'x' }).catch((e: RuntimeError) => e);
        expect((error as RuntimeError).code).toBe('PLUGIN_MEMORY_LIMIT');
      }
    });
    expectCharged(attacker);
  });
});

describe('stack overflows are treated like out-of-memory', () => {
  it('20 rounds of stack overflow then stop abandon the heaps instead of freeing them, and nobody else notices', async () => {
    await setUp();
    const workers = neighbours.map((n) => runtime.status(n.installationId)!.workerId);
    await withNeighbours(async () => {
      for (let round = 0; round < 20; round++) {
        const attacker = inlinePlugin('function f(n) { return f(n + 1) + 1 } export default { onMessage: () => f(0) }');
        await runtime.load(attacker);
        const error = await runtime.message(attacker.installationId, { type: 'x' }).catch((e: RuntimeError) => e);
        expect((error as RuntimeError).details.reason).toBe('stack_overflow');
        expect(runtime.status(attacker.installationId)!.recentFailures).toBe(1); // charged
        await runtime.stop(attacker.installationId);
      }
    });
    expect(neighbours.map((n) => runtime.status(n.installationId)!.workerId)).toEqual(workers);
  });

  it.each([
    ['parentheses', "eval('('.repeat(1e5) + '1' + ')'.repeat(1e5))"],
    ['array literals', "eval('['.repeat(1e5) + ']'.repeat(1e5))"],
    ['template literals', "eval('`${'.repeat(1e5) + '1' + '}`'.repeat(1e5))"],
    ['JSON', "JSON.parse('['.repeat(1e5) + ']'.repeat(1e5))"],
  ])('deep %s in the parser stop at QuickJS’s stack limit, below the thread’s', async (_, expr) => {
    await setUp();
    const attacker = inlinePlugin(`export default { onMessage() { return ${expr}; } }`);
    const workers = neighbours.map((n) => runtime.status(n.installationId)!.workerId);
    await withNeighbours(async () => {
      await loadAttacker(attacker);
      for (let i = 0; i < 3; i++) {
        const error = await runtime.message(attacker.installationId, { type: 'x' }).catch((e: RuntimeError) => e);
        expect((error as RuntimeError).details.reason).toBe('stack_overflow');
      }
      await failed(attacker);
      await runtime.stop(attacker.installationId);
    });
    expect(neighbours.map((n) => runtime.status(n.installationId)!.workerId)).toEqual(workers);
  });
});
