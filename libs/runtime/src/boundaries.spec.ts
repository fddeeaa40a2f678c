import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { RuntimeError } from './runtime-error.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin, RecordingBridge } from './testing.js';

/** What crosses from a sandbox to the main thread is bounded in the worker, and written by the prelude only. */

const storage = new MemoryPluginStorage();
const bridge = new RecordingBridge();
let runtime: PluginRuntime;

beforeAll(async () => {
  runtime = new PluginRuntime({ storage, bridge, workers: 1, payload: { maxBytes: 64 * 1024, maxDepth: 32 } });
  await runtime.warmUp();
});
afterAll(() => runtime.close());

const code = `let ctx; export default { onInit(c) { ctx = c; }, async onMessage(m) {
  const deep = (n) => { let v = 0; for (let i = 0; i < n; i++) v = [v]; return v; };
  try {
    switch (m.type) {
      case 'big-reply': return 'x'.repeat(m.data);
      case 'deep-reply': return deep(m.data);
      case 'big-set': await ctx.storage.set('k', 'x'.repeat(m.data)); return 'stored';
      case 'deep-set': await ctx.storage.set('k', deep(m.data)); return 'stored';
      case 'deep-event': ctx.events.emit('a.b', deep(m.data)); return 'emitted';
    }
  } catch (e) { return { name: e.name }; }
} };`;

describe('input bounded in the worker', () => {
  let id: string;
  beforeAll(async () => {
    const spec = inlinePlugin(code, {
      permissions: ['messages:receive', 'storage:write', 'events:emit'],
      storageQuotaBytes: 1024 * 1024,
    });
    id = spec.installationId;
    await runtime.load(spec);
  });

  it.each([
    ['big-reply', 100 * 1024, 'reply_too_large'],
    ['deep-reply', 40, 'reply_too_deep'],
  ])('%s never reaches the main thread', async (type, data, reason) => {
    const error = await runtime.message(id, { type, data }).catch((e: RuntimeError) => e);
    expect((error as RuntimeError).code).toBe('LIMIT_EXCEEDED');
    expect((error as RuntimeError).details.reason).toBe(reason);
    expect(await runtime.message(id, { type: 'big-reply', data: 10 })).toBe('xxxxxxxxxx'); // within bounds: fine
  });

  it.each([
    ['big-set', 100 * 1024],
    ['deep-set', 40],
    ['deep-event', 40],
  ])('%s is refused inside the plugin before anything is posted', async (type, data) => {
    const events = bridge.events.length;
    expect(await runtime.message(id, { type, data })).toEqual({ name: 'LimitExceeded' });
    expect(await storage.list(id)).toEqual([]);
    expect(bridge.events.length).toBe(events);
  });
});

describe('the prelude captured its intrinsics', () => {
  it('a plugin replacing Promise species, then() or JSON.stringify cannot change what is sent as its reply', async () => {
    const spec = inlinePlugin(`export default { onMessage() {
      class Evil extends Promise {
        constructor(executor) { super((resolve, reject) => executor(() => resolve('RAW TEXT'), reject)); }
      }
      Object.defineProperty(Promise, Symbol.species, { get: () => Evil });
      Promise.prototype.constructor = Evil;
      const then = Promise.prototype.then;
      Promise.prototype.then = function (f, r) { return then.call(this, () => f && f('RAW TEXT'), r); };
      JSON.stringify = () => 'RAW TEXT';
      String.prototype.toString = () => 'RAW TEXT';
      return { honest: true };
    } }`);
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'x' })).toEqual({ honest: true });
    await runtime.stop(spec.installationId);
  });
});
