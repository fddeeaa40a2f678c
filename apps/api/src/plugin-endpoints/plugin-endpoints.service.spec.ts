import type { EndpointDeclaration, PluginManifest } from '@app/plugin-sdk';
import { PluginRuntime, RuntimeError } from '@app/runtime';
import { TestClock } from '@test/support/clock.js';
import { caller, installationFixture, pluginFixture } from '@test/support/fixtures.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EffectiveEntry } from '../installation/effective-set.js';
import type { Installation } from '../installation/installation.entity.js';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { InstallationsService } from '../installation/installations.service.js';
import { BusMessageRouter } from '../messaging/bus-message-router.js';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import { PublicEndpointsRepository } from './persistence/public-endpoints.repository.js';
import { type EndpointCall, KILL_FLAG_TTL_MS, PluginEndpointsService } from './plugin-endpoints.service.js';

const ENDPOINTS: EndpointDeclaration[] = [
  { path: 'items/:id', methods: ['GET'], description: 'An item' },
  { path: 'hello', methods: ['GET'], description: 'Open', public: true },
];
const ADA = caller('u1');
const mine = installationFixture({ id: '0000000000000000000000a1' });
const global = installationFixture({ id: '0000000000000000000000a2', target: { scope: 'global' } });
const entry = (installation: Installation, e: Partial<EffectiveEntry> = {}): EffectiveEntry => ({
  installation,
  active: installation.status === 'active',
  overriddenBy: null,
  ...e,
});
const call = (path: string, method = 'GET'): EndpointCall => ({
  key: 'acme.x',
  method,
  path,
  query: {},
  headers: {},
  body: undefined,
});

let installations: ReturnType<typeof strictMock<InstallationsService>>;
let packages: ReturnType<typeof strictMock<InstallationRuntime>>;
let runtime: ReturnType<typeof strictMock<PluginRuntime>>;
let versions: ReturnType<typeof strictMock<PluginVersionsService>>;
let switches: ReturnType<typeof strictMock<PublicEndpointsRepository>>;
let router: ReturnType<typeof strictMock<BusMessageRouter>>;
let service: PluginEndpointsService;
let clock: TestClock;

beforeEach(() => {
  installations = strictMock(InstallationsService);
  packages = strictMock(InstallationRuntime);
  runtime = strictMock(PluginRuntime);
  versions = strictMock(PluginVersionsService);
  switches = strictMock(PublicEndpointsRepository);
  clock = new TestClock();
  router = strictMock(BusMessageRouter);
  service = new PluginEndpointsService(installations, packages, runtime, versions, switches, router, clock);
  // Runs on this node unless a test says otherwise.
  runtime.status.mockReturnValue({ state: 'ready' } as ReturnType<PluginRuntime['status']>);
  installations.runtimeIdOf.mockImplementation((i) => i.id);
  packages.package.mockResolvedValue({ manifest: { endpoints: ENDPOINTS } as PluginManifest, code: '' });
  versions.storedPlugins.mockResolvedValue([pluginFixture({ key: 'acme.x' })]);
  runtime.redact.mockImplementation((_id, text) => text);
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => ({}),
    (e: { code?: string; details?: Record<string, unknown> }) => ({ code: e.code, ...e.details }),
  );

describe('a caller with credentials', () => {
  it("is served by their effective installation, the plugin's answer passed through", async () => {
    installations.effectiveFor.mockResolvedValue(entry(mine));
    runtime.request.mockResolvedValue({ status: 201, headers: { 'x-a': 'b' }, body: { ok: true } });
    expect(await service.request(ADA, call('items/7'))).toEqual({
      status: 201,
      headers: { 'x-a': 'b' },
      body: { ok: true },
    });
    expect(runtime.request).toHaveBeenCalledWith(mine.id, {
      method: 'GET',
      path: 'items/7',
      query: {},
      headers: {},
      body: undefined,
      user: { id: 'u1', name: ADA.name, roles: ADA.roles },
    });
  });

  it('gets 404 without an installation, and for an undeclared route; 405 with the methods declared', async () => {
    installations.effectiveFor.mockResolvedValue(null);
    expect(await rejection(service.request(ADA, call('items/7')))).toMatchObject({ reason: 'not_installed' });
    installations.effectiveFor.mockResolvedValue(entry(mine));
    expect(await rejection(service.request(ADA, call('nope')))).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'endpoint_not_found',
    });
    expect(await rejection(service.request(ADA, call('items/7', 'POST')))).toMatchObject({
      code: 'METHOD_NOT_ALLOWED',
      allow: ['GET'],
    });
  });

  it('gets 409 PLUGIN_KILLED for a killed installation, a kill from a broader one, or the registry flag', async () => {
    installations.effectiveFor.mockResolvedValue(entry({ ...mine, status: 'killed' }));
    expect(await rejection(service.request(ADA, call('items/7')))).toMatchObject({ code: 'PLUGIN_KILLED' });
    installations.effectiveFor.mockResolvedValue(
      entry(mine, { active: false, overriddenBy: { ...global, status: 'killed' } }),
    );
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({ code: 'PLUGIN_KILLED' });
    installations.effectiveFor.mockResolvedValue(entry(mine));
    versions.storedPlugins.mockResolvedValue([pluginFixture({ key: 'acme.x', killed: true })]);
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({ code: 'PLUGIN_KILLED' });
  });

  it("reads the registry's kill flag once per KILL_FLAG_TTL_MS, and again at once after a kill switch event", async () => {
    installations.effectiveFor.mockResolvedValue(entry(mine));
    runtime.process.mockResolvedValue('done');
    await service.execute(ADA, 'acme.x', [1]);
    await service.execute(ADA, 'acme.x', [1]);
    expect(versions.storedPlugins).toHaveBeenCalledTimes(1);
    versions.storedPlugins.mockResolvedValue([pluginFixture({ key: 'acme.x', killed: true })]);
    service.onKillSwitch();
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({ code: 'PLUGIN_KILLED' });
    versions.storedPlugins.mockResolvedValue([pluginFixture({ key: 'acme.x' })]);
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({ code: 'PLUGIN_KILLED' });
    clock.advance(KILL_FLAG_TTL_MS);
    expect(await service.execute(ADA, 'acme.x', [1])).toMatchObject({ result: 'done' });
    expect(versions.storedPlugins).toHaveBeenCalledTimes(3);
  });

  it('does not keep a kill flag whose read a kill switch event overtook', async () => {
    installations.effectiveFor.mockResolvedValue(entry(mine));
    runtime.process.mockResolvedValue('done');
    let answer!: (plugins: ReturnType<typeof pluginFixture>[]) => void;
    versions.storedPlugins.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    const first = service.execute(ADA, 'acme.x', [1]);
    await vi.waitFor(() => expect(versions.storedPlugins).toHaveBeenCalledTimes(1));
    service.onKillSwitch();
    answer([pluginFixture({ key: 'acme.x' })]);
    await first;
    versions.storedPlugins.mockResolvedValue([pluginFixture({ key: 'acme.x', killed: true })]);
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({ code: 'PLUGIN_KILLED' });
  });

  it('gets 409 inactive for an installation that is off, or not running in the runtime', async () => {
    installations.effectiveFor.mockResolvedValue(entry({ ...mine, status: 'disabled' }));
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({
      code: 'CONFLICT',
      reason: 'inactive',
      status: 'disabled',
    });
    installations.effectiveFor.mockResolvedValue(entry(mine));
    runtime.process.mockRejectedValue(new RuntimeError('PLUGIN_NOT_LOADED', 'gone'));
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({ reason: 'inactive' });
  });

  it("reports the runtime's failures with their catalogue code and reason, secrets redacted", async () => {
    installations.effectiveFor.mockResolvedValue(entry(mine));
    runtime.redact.mockImplementation((_id, text) => text.replace('sk-1', '[redacted]'));
    runtime.process.mockRejectedValue(new RuntimeError('PLUGIN_TIMEOUT', 'too slow'));
    expect(await rejection(service.execute(ADA, 'acme.x', [1], 2))).toMatchObject({
      code: 'PLUGIN_COMMUNICATION_TIMEOUT',
      reason: 'timeout',
    });
    expect(runtime.process).toHaveBeenCalledWith(mine.id, [1], { timeoutMs: 2000 });
    runtime.request.mockRejectedValue(new RuntimeError('PLUGIN_ERROR', 'bad sk-1', 'body_too_large'));
    const err = await service.request(ADA, call('items/7')).catch((e: Error) => e);
    expect(err).toMatchObject({ code: 'INTERNAL', details: { reason: 'body_too_large' } });
    expect((err as Error).message).toBe('bad [redacted]');
  });

  it('calls an installation another node hosts over the bus, with its limit and the same error mapping', async () => {
    installations.effectiveFor.mockResolvedValue(entry({ ...mine, limits: { timeout_ms: 3000 } }));
    runtime.status.mockReturnValue(undefined);
    router.call.mockResolvedValueOnce({ status: 200, headers: {}, body: 'there' });
    expect(await service.request(ADA, call('items/7'))).toEqual({ status: 200, headers: {}, body: 'there' });
    const input = { method: 'GET', path: 'items/7', query: {}, headers: {}, body: undefined };
    const user = { id: 'u1', name: ADA.name, roles: ADA.roles };
    expect(router.call).toHaveBeenLastCalledWith(
      mine.id,
      'acme.x',
      { kind: 'request', input: { ...input, user } },
      5000,
    );
    router.call.mockResolvedValueOnce([2, 4]);
    expect((await service.execute(ADA, 'acme.x', [1, 2], 1)).result).toEqual([2, 4]);
    expect(router.call).toHaveBeenLastCalledWith(
      mine.id,
      'acme.x',
      { kind: 'process', data: [1, 2], timeoutMs: 1000 },
      3000,
    );
    router.call.mockRejectedValueOnce(new RuntimeError('PLUGIN_NOT_LOADED', 'not running on any node', 'not_running'));
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({
      code: 'CONFLICT',
      reason: 'inactive',
    });
    router.call.mockRejectedValueOnce(new RuntimeError('PLUGIN_TIMEOUT', 'too slow', 'timeout'));
    expect(await rejection(service.execute(ADA, 'acme.x', [1]))).toMatchObject({
      code: 'PLUGIN_COMMUNICATION_TIMEOUT',
      reason: 'timeout',
    });
    expect(runtime.process).not.toHaveBeenCalled();
  });

  it('answers Execute with the result and the time it took', async () => {
    installations.effectiveFor.mockResolvedValue(entry(mine));
    runtime.process.mockResolvedValue(undefined);
    const answer = await service.execute(ADA, 'acme.x', { a: 1 });
    expect(answer.result).toBeNull();
    expect(answer.duration_ms).toBeGreaterThanOrEqual(0);
  });
});

describe('a caller without credentials', () => {
  it('is told to authenticate unless the global installation allows its public endpoints', async () => {
    installations.findGlobal.mockResolvedValue(null);
    expect(await rejection(service.request(undefined, call('hello')))).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'credentials_required',
    });
    installations.findGlobal.mockResolvedValue(global);
    switches.find.mockResolvedValue(null);
    expect(await rejection(service.request(undefined, call('hello')))).toMatchObject({ code: 'UNAUTHENTICATED' });
    switches.find.mockResolvedValue({
      installationId: global.id,
      pluginKey: 'acme.x',
      allowed: true,
      setBy: 'a',
      setAt: new Date(0),
    });
    // A route that is not public, or none at all, says no more than that.
    expect(await rejection(service.request(undefined, call('items/7')))).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await rejection(service.request(undefined, call('nope')))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('reaches a public route of the allowed global installation, as nobody', async () => {
    installations.findGlobal.mockResolvedValue(global);
    switches.find.mockResolvedValue({
      installationId: global.id,
      pluginKey: 'acme.x',
      allowed: true,
      setBy: 'a',
      setAt: new Date(0),
    });
    runtime.request.mockResolvedValue({ status: 200, headers: {}, body: 'hi' });
    expect(await service.request(undefined, call('hello'))).toEqual({ status: 200, headers: {}, body: 'hi' });
    expect(runtime.request.mock.calls[0][0]).toBe(global.id);
    expect(runtime.request.mock.calls[0][1].user).toBeNull();
  });
});

describe('the public-endpoints switch', () => {
  it('is set on the global installation, and needs one', async () => {
    installations.findGlobal.mockResolvedValue(null);
    expect(await rejection(service.setPublic(caller('admin', ['admin']), 'acme.x', true))).toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
    installations.findGlobal.mockResolvedValue(global);
    switches.set.mockImplementation((s) => Promise.resolve(s));
    expect(await service.setPublic(caller('admin', ['admin']), 'acme.x', true)).toMatchObject({
      plugin: 'acme.x',
      installation_id: global.id,
      allowed: true,
      set_by: 'admin',
    });
  });

  it('goes with the installation it belongs to', async () => {
    switches.delete.mockResolvedValue();
    await service.onUninstalled({ installationId: global.id } as never);
    expect(switches.delete).toHaveBeenCalledWith(global.id);
  });
});
