import { AsyncLocalStorage } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin, RecordingObserver } from './testing.js';

const observer = new RecordingObserver();
const requests = new AsyncLocalStorage<string>();
let runtime: PluginRuntime;

// Writes a line as its hook is entered and one after a host call (storage) came back.
const CODE = `
  export default {
    async onMessage(message, context) {
      context.log.info('entered ' + message.type);
      await context.storage.get('k');
      context.log.info('resumed ' + message.type);
      return message.type;
    },
  };`;
const spec = inlinePlugin(CODE, { permissions: ['log', 'messages:receive', 'storage:read'] });

beforeAll(async () => {
  runtime = new PluginRuntime({
    observer,
    storage: new MemoryPluginStorage(),
    workers: 1,
    requestIdOf: () => requests.getStore(),
  });
  await runtime.load(spec);
});
afterAll(() => runtime.close());

const linesOf = (type: string) =>
  observer.logs.filter((l) => l.installationId === spec.installationId && l.message.endsWith(` ${type}`));

describe('the request a call is made for', () => {
  it('is on the call event and on the lines the call writes, before and after it awaits', async () => {
    await requests.run('req-a', () => runtime.message(spec.installationId, { type: 'a' }));
    expect(linesOf('a').map((l) => [l.message, l.requestId])).toEqual([
      ['entered a', 'req-a'],
      ['resumed a', 'req-a'],
    ]);
    const call = observer.callsOf(spec.installationId).find((c) => c.hook === 'onMessage');
    expect(call?.requestId).toBe('req-a');
  });

  it('is left out for a call made outside any request', async () => {
    await runtime.message(spec.installationId, { type: 'none' });
    expect(linesOf('none').map((l) => 'requestId' in l)).toEqual([false, false]);
    expect(observer.callsOf(spec.installationId).at(-1)).not.toHaveProperty('requestId');
  });

  it('is never another call’s while several are in flight: the entered hook’s, else unknown', async () => {
    const types = ['b', 'c', 'd', 'e'];
    await Promise.all(
      types.map((type) => requests.run(`req-${type}`, () => runtime.message(spec.installationId, { type }))),
    );
    for (const type of types) {
      const [entered, resumed] = linesOf(type);
      expect(entered.requestId).toBe(`req-${type}`);
      expect([undefined, `req-${type}`]).toContain(resumed.requestId);
    }
    const calls = observer.callsOf(spec.installationId).slice(-4);
    expect(calls.map((c) => c.requestId).sort()).toEqual(types.map((t) => `req-${t}`));
  });
});
