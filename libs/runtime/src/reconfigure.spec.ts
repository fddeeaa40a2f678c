import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PluginRuntime } from './plugin-runtime.js';
import { RuntimeError } from './runtime-error.js';
import { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
import { inlinePlugin, RecordingObserver } from './testing.js';

/** Grants, limits and config change on a live instance: no reload (onInit runs once), effective next call. */

const storage = new MemoryPluginStorage();
const observer = new RecordingObserver();
let runtime: PluginRuntime;

beforeAll(async () => {
  runtime = new PluginRuntime({ storage, observer, workers: 1 });
  await runtime.warmUp();
});
afterAll(() => runtime.close());

const PLUGIN = `let ctx, inits = 0;
  export default {
    onInit(c) { ctx = c; inits++; },
    async onMessage(m) {
      try {
        if (m.type === 'config') return { greeting: ctx.config.greeting, inits };
        if (m.type === 'set') { await ctx.storage.set('k', m.data); return { ok: true, inits }; }
        if (m.type === 'get') return { value: await ctx.storage.get('k'), inits };
        if (m.type === 'hold') { globalThis.held = Array.from({ length: m.data }, (_, i) => ({ i })); return { ok: true }; }
        if (m.type === 'allocate') { const a = []; for (let i = 0; i < 2000; i++) a.push({ i }); return { ok: a.length }; }
      } catch (e) { return { name: e.name, message: e.message }; }
    },
  };`;

const ALL = ['messages:receive', 'config:read', 'storage:read', 'storage:write'] as const;

describe('reconfigure', () => {
  it('revokes a capability: the plugin is refused from its next use, and so is the host side', async () => {
    const spec = inlinePlugin(PLUGIN, { permissions: [...ALL] });
    const id = spec.installationId;
    await runtime.load(spec);
    expect(await runtime.message(id, { type: 'set', data: 1 })).toEqual({ ok: true, inits: 1 });

    await runtime.reconfigure(id, { grants: ['messages:receive', 'config:read', 'storage:read'] });
    expect(await runtime.message(id, { type: 'set', data: 2 })).toEqual({
      name: 'PermissionDenied',
      message: 'storage:write not granted',
    });
    expect(await storage.get(id, 'k')).toBe(1);
    // The host checks the same table (a plugin that got past the prelude and the worker would still be refused).
    const internals = runtime as unknown as {
      instances: Map<string, unknown>;
      hostApi: { operation(instance: unknown, op: string, args: unknown): Promise<unknown> };
    };
    const error = await internals.hostApi
      .operation(internals.instances.get(id), 'storage.set', { key: 'k', value: 3 })
      .catch((e: RuntimeError) => e);
    expect((error as RuntimeError).code).toBe('PLUGIN_PERMISSION_DENIED');
    expect(await runtime.message(id, { type: 'get' })).toEqual({ value: 1, inits: 1 }); // still loaded, not reloaded

    await runtime.reconfigure(id, { grants: [...ALL] }); // and granted back
    expect(await runtime.message(id, { type: 'set', data: 4 })).toEqual({ ok: true, inits: 1 });
    await runtime.stop(id);
  });

  it('changes config: the context captured at onInit shows the new values on the next call', async () => {
    const spec = inlinePlugin(PLUGIN, { permissions: [...ALL], config: { greeting: 'hi' } });
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'config' })).toEqual({ greeting: 'hi', inits: 1 });
    await runtime.reconfigure(spec.installationId, { config: { greeting: 'bonjour' } });
    expect(await runtime.message(spec.installationId, { type: 'config' })).toEqual({ greeting: 'bonjour', inits: 1 });
    await runtime.stop(spec.installationId);
  });

  it('lowers memory_mb: the next call that allocates is over the limit', async () => {
    const spec = inlinePlugin(PLUGIN, { permissions: [...ALL], limits: { memory_mb: 32 } });
    await runtime.load(spec);
    expect(await runtime.message(spec.installationId, { type: 'hold', data: 50_000 })).toEqual({ ok: true }); // ~3.6 MB
    expect(await runtime.message(spec.installationId, { type: 'allocate' })).toEqual({ ok: 2000 });

    await runtime.reconfigure(spec.installationId, { limits: { memory_mb: 2 } });
    expect(runtime.status(spec.installationId)!.limits.memory_mb).toBe(2);
    const error = await runtime.message(spec.installationId, { type: 'allocate' }).catch((e: RuntimeError) => e);
    expect((error as RuntimeError).code).toBe('PLUGIN_MEMORY_LIMIT');
    expect((error as RuntimeError).details.reason).toBe('heap_over_limit');
    await runtime.stop(spec.installationId);
  });

  it('lowers the storage quota and raises timeout_ms, within the platform maximum', async () => {
    const spec = inlinePlugin(PLUGIN, { permissions: [...ALL] });
    await runtime.load(spec);
    await runtime.reconfigure(spec.installationId, { storageQuotaBytes: 8, limits: { timeout_ms: 10_000_000 } });
    expect(runtime.status(spec.installationId)!.limits).toMatchObject({
      storage_quota_bytes: 8,
      timeout_ms: 300_000, // the platform maximum, not the 10 000 000 asked for
    });
    expect(await runtime.message(spec.installationId, { type: 'set', data: 'too long for eight bytes' })).toMatchObject(
      {
        name: 'LimitExceeded',
      },
    );
    await runtime.stop(spec.installationId);
  });

  it('refuses an installation that is not loaded', async () => {
    const error = await runtime.reconfigure('nope', { config: {} }).catch((e: RuntimeError) => e);
    expect((error as RuntimeError).code).toBe('PLUGIN_NOT_LOADED');
  });
});
