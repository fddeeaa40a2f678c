import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import type { InstanceState } from './runtime.types.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin } from './testing.js';

let runtime: PluginRuntime;
beforeAll(async () => {
  runtime = new PluginRuntime({ storage: new MemoryPluginStorage(), workers: 1 });
  await runtime.warmUp();
});
afterAll(() => runtime.close());

/** What ids, counts and stateOf must agree with: the statuses `list` builds for every instance. */
function scanned() {
  const list = runtime.list();
  const counts: Record<InstanceState, number> = { loading: 0, ready: 0, failed: 0, stopping: 0, stopped: 0 };
  for (const s of list) counts[s.state]++;
  return { list, counts };
}

describe('PluginRuntime ids, counts and stateOf', () => {
  it('follow loads, failed starts, restarts and stops as list() sees them', async () => {
    const a = inlinePlugin('export default {}', { pluginKey: 'idx.a' });
    const b = inlinePlugin('export default {}', { pluginKey: 'idx.a' });
    const broken = inlinePlugin('export default { onInit() { throw new Error("no") } }', { pluginKey: 'idx.b' });
    await runtime.load(a);
    await runtime.load(b);
    await runtime.load(broken).catch(() => undefined);
    expect(runtime.counts()).toEqual(scanned().counts);
    expect(runtime.counts()).toMatchObject({ ready: 2, failed: 1 });
    expect(runtime.ids({ pluginKey: 'idx.a', state: 'ready' })).toEqual([a.installationId, b.installationId]);
    expect(runtime.ids({ state: 'failed' })).toEqual([broken.installationId]);
    expect(runtime.stateOf(broken.installationId)).toBe('failed');

    await runtime.load({ ...broken, code: 'export default {}' }); // a failed instance loaded again, fixed
    expect(runtime.ids({ pluginKey: 'idx.b', state: 'ready' })).toEqual([broken.installationId]);
    await runtime.stop(a.installationId);
    expect(runtime.stateOf(a.installationId)).toBeUndefined();
    expect(runtime.ids({ pluginKey: 'idx.a', limit: 1 })).toEqual([b.installationId]);
    expect(new Set(runtime.ids())).toEqual(new Set(scanned().list.map((s) => s.installationId)));
    expect(runtime.counts()).toEqual(scanned().counts);
  });
});
