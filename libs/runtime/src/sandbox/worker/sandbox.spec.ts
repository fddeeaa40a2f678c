import { newQuickJSWASMModuleFromVariant, newVariant, RELEASE_SYNC } from 'quickjs-emscripten';
import { describe, expect, it, vi } from 'vitest';
import { ControlBlock, decodeCall, encodeCall, type FromWorker, type SandboxSetup } from '../protocol.js';
import { MemoryGovernor } from './memory-governor.js';
import { Sandbox } from './sandbox.js';

/** What the sandbox posts to the main thread (a worker's parentPort, absent here). */
const posted: Array<FromWorker | string> = [];
vi.mock('./channel.js', () => ({
  post: (message: FromWorker | string) => posted.push(message),
  fatal: (reason: string) => posted.push({ t: 'fatal', reason }),
}));

const HOOKS = ['onInit', 'onMessage', 'onEvent', 'onProcess', 'onRequest', 'onHealth', 'onCleanup'];

function setup(): SandboxSetup {
  return {
    installationId: 'inst-1',
    slot: 1,
    plugin: { key: 'probe', version: '1.0.0' },
    config: {},
    capabilities: ['messages:receive'],
    grants: ['messages:receive'],
    memoryBytes: 32 * 1024 * 1024,
    timeoutMs: 5_000,
    storageQuotaBytes: 1024 * 1024,
    emits: null,
    cpu: { windowMs: 10_000, budgetMs: 5_000, backgroundSliceMs: 20 },
    bounds: { maxBytes: 64 * 1024 * 1024, maxDepth: 64 },
    responses: { maxBodyBytes: 1024 * 1024, maxHeaders: 32, maxHeaderBytes: 8192 },
    hooks: Object.fromEntries(HOOKS.map((hook) => [hook, hook])),
  };
}

describe('Sandbox', () => {
  it('answers a call whose data the memory may not grow for as out of memory, and the engine serves the next one', async () => {
    const governor = new MemoryGovernor();
    const module = await newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory: governor.memory }));
    const control = new ControlBlock(new SharedArrayBuffer(ControlBlock.BYTES));
    const unsafe = vi.fn();
    const sandbox = new Sandbox(module, setup(), control, governor, { onUnsafe: unsafe, onAbandoned: vi.fn() });
    sandbox.load('export default { onMessage: (m) => m.type }', 'runner.js');
    const call = (id: number, payload: string) =>
      sandbox.call(decodeCall(encodeCall(1, id, 5_000, undefined, 'onMessage', payload)));

    // Data larger than the 16 MiB the memory starts with, while this sandbox may not grow it (its share is spent).
    const allow = vi.spyOn(sandbox, 'allowGrowth').mockReturnValue(false);
    call(1, JSON.stringify({ type: 'big', data: 'a'.repeat(20 * 1024 * 1024) }));
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ t: 'result', id: 1, outcome: 'error' });
    expect((posted[0] as Extract<FromWorker, { t: 'result' }>).error).toMatchObject({
      code: 'PLUGIN_MEMORY_LIMIT',
      reason: 'out_of_memory',
    });
    expect(unsafe).not.toHaveBeenCalled(); // not an engine failure: the worker is not replaced for it
    expect(sandbox.tainted).toBeUndefined();

    allow.mockRestore();
    posted.length = 0;
    call(2, JSON.stringify({ type: 'small' }));
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatch(/^2,\d+,\d+,\d+\n"small"$/);
    sandbox.dispose();
  });
});
