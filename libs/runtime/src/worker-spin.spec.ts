import { afterAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin } from './testing.js';

const runtimes: PluginRuntime[] = [];
afterAll(() => Promise.all(runtimes.map((r) => r.close())));

/**
 * A worker that looks for its next message after one (workerSpinMicros) takes it with receiveMessageOnPort instead
 * of its 'message' event: both ways must answer every call, in order, as the other does.
 */
describe.each([0, 50, 1000])('a worker spinning %i µs after a message', (workerSpinMicros) => {
  it('answers sequential and concurrent calls, each with its own answer', async () => {
    const runtime = new PluginRuntime({ storage: new MemoryPluginStorage(), workers: 1, workerSpinMicros });
    runtimes.push(runtime);
    const spec = inlinePlugin('let n = 0; export default { onMessage(m) { return { echo: m.data, n: ++n } } }');
    await runtime.load(spec);
    for (let i = 0; i < 50; i++) {
      expect(await runtime.message(spec.installationId, { type: 'e', data: i })).toEqual({ echo: i, n: i + 1 });
    }
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => runtime.message(spec.installationId, { type: 'e', data: i })),
    );
    expect(answers.map((a) => (a as { echo: number }).echo)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(answers.map((a) => (a as { n: number }).n)).toEqual(Array.from({ length: 16 }, (_, i) => 51 + i));
  });
});
