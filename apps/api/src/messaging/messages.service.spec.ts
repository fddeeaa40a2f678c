import type { AppError, AuthUser } from '@app/common';
import { RuntimeError } from '@app/runtime';
import { TestClock } from '@test/support/clock.js';
import { strictMock } from '@test/support/strict-mock.js';
import { beforeEach, describe, expect, it, type Mock, vi } from 'vitest';
import { AccessService } from '../auth/access.service.js';
import { messageTimeout } from '../runtime/in-process-message-router.js';
import { BusMessageRouter } from './bus-message-router.js';
import { MessagesService } from './messages.service.js';
import type { InstallationDirectory, MessageParty } from './messaging.ports.js';

const caller: AuthUser = { id: 'u1', email: 'u1@x.test', name: 'U', roles: [], method: 'jwt', scopes: null };
const admin: AuthUser = { ...caller, id: 'a1', roles: ['admin'] };

const party = (key: string, extra: Partial<MessageParty> = {}): MessageParty => ({
  installationId: `id-${key}`,
  pluginKey: key,
  owner: { scope: 'user', userId: 'u1', orgId: null },
  subscribes: [],
  state: 'active',
  grants: ['messages:send', 'messages:receive'],
  category: 'monitoring',
  ...extra,
});

let router: ReturnType<typeof strictMock<BusMessageRouter>>;
let access: ReturnType<typeof strictMock<AccessService>>;
let directory: { [K in keyof InstallationDirectory]: Mock<InstallationDirectory[K]> };
let service: MessagesService;

beforeEach(() => {
  router = strictMock(BusMessageRouter);
  access = strictMock(AccessService);
  directory = {
    describe: vi.fn(),
    subscribers: vi.fn(),
    messageTarget: vi.fn(),
    servingUser: vi.fn(),
    broadcastRecipients: vi.fn(),
    forgetSubscribers: vi.fn(),
  };
  service = new MessagesService(router, access, new TestClock(), directory);
});

const parties = (map: Record<string, MessageParty | null>) =>
  directory.servingUser.mockImplementation((_user: string, key: string) => Promise.resolve(map[key] ?? null));

describe('MessagesService.send', () => {
  it('sends from the sender to the target through the router and answers the reply', async () => {
    parties({ 'a.sender': party('a.sender'), 'a.target': party('a.target') });
    router.request.mockResolvedValue({ ok: 1 });
    const res = await service.send(caller, 'a.sender', {
      target_plugin: 'a.target',
      message_type: 't',
      data: { x: 1 },
    });
    expect(res.response).toEqual({ status: 'success', data: { ok: 1 }, error: null });
    expect(router.request).toHaveBeenCalledWith(
      'id-a.target',
      'a.target',
      expect.objectContaining({ id: res.message_id, type: 't', data: { x: 1 }, from: 'a.sender' }),
      10_000,
    );
  });

  it('messages a plugin from the user when the target is the path plugin, without needing messages:send', async () => {
    parties({ 'a.target': party('a.target', { grants: ['messages:receive'] }) });
    router.request.mockResolvedValue(undefined);
    const res = await service.send(caller, 'a.target', {
      target_plugin: 'a.target',
      message_type: 't',
      timeout_seconds: 2,
    });
    expect(res.response).toEqual({ status: 'success', data: null, error: null });
    expect(router.request).toHaveBeenCalledWith(
      'id-a.target',
      'a.target',
      expect.objectContaining({ from: null }),
      2000,
    );
  });

  it.each<[string, Record<string, MessageParty | null>, string, string]>([
    ['no sender', { 'a.target': party('a.target') }, 'PLUGIN_NOT_FOUND', 'not_installed'],
    ['no target', { 'a.sender': party('a.sender') }, 'PLUGIN_NOT_FOUND', 'target_not_installed'],
    ['a killed sender', { 'a.sender': party('a.sender', { state: 'killed' }) }, 'PLUGIN_KILLED', 'plugin_killed'],
    ['an inactive sender', { 'a.sender': party('a.sender', { state: 'inactive' }) }, 'CONFLICT', 'sender_inactive'],
    [
      'a sender without messages:send',
      { 'a.sender': party('a.sender', { grants: ['messages:receive'] }), 'a.target': party('a.target') },
      'PLUGIN_PERMISSION_DENIED',
      'messages_send_not_granted',
    ],
    [
      'a killed target',
      { 'a.sender': party('a.sender'), 'a.target': party('a.target', { state: 'killed' }) },
      'PLUGIN_KILLED',
      'plugin_killed',
    ],
    [
      'an inactive target',
      { 'a.sender': party('a.sender'), 'a.target': party('a.target', { state: 'inactive' }) },
      'CONFLICT',
      'target_inactive',
    ],
    [
      'a target without messages:receive',
      { 'a.sender': party('a.sender'), 'a.target': party('a.target', { grants: [] }) },
      'PLUGIN_PERMISSION_DENIED',
      'messages_receive_not_granted',
    ],
  ])('refuses %s before sending anything', async (_name, map, code, reason) => {
    parties(map);
    await expect(
      service.send(caller, 'a.sender', { target_plugin: 'a.target', message_type: 't' }),
    ).rejects.toMatchObject({
      code,
      details: { reason },
    });
    expect(router.request).not.toHaveBeenCalled();
  });

  it.each<[RuntimeError, string, string]>([
    [new RuntimeError('PLUGIN_TIMEOUT', 'late'), 'PLUGIN_COMMUNICATION_TIMEOUT', 'timeout'],
    [new RuntimeError('PLUGIN_NOT_LOADED', 'gone', 'not_running'), 'CONFLICT', 'not_running'],
    [new RuntimeError('PLUGIN_UNREACHABLE', 'bus', 'disconnected'), 'PLUGIN_COMMUNICATION_TIMEOUT', 'bus_unavailable'],
  ])('maps the router failure %s to %s', async (failure, code, reason) => {
    parties({ 'a.sender': party('a.sender'), 'a.target': party('a.target') });
    router.request.mockRejectedValue(failure);
    await expect(
      service.send(caller, 'a.sender', { target_plugin: 'a.target', message_type: 't' }),
    ).rejects.toMatchObject({
      code,
      details: { reason },
    });
  });

  it('names the wait that ran out, or the target’s own time limit when that stopped it first', async () => {
    parties({ 'a.sender': party('a.sender'), 'a.target': party('a.target') });
    const send = () =>
      service.send(caller, 'a.sender', { target_plugin: 'a.target', message_type: 't', timeout_seconds: 7 });
    router.request.mockRejectedValueOnce(messageTimeout('a.target', 7000));
    const waited = await send().catch((err: AppError) => err);
    expect(waited).toMatchObject({ details: { reason: 'timeout', key: 'a.target', timeout_ms: 7000 } });
    router.request.mockRejectedValueOnce(
      new RuntimeError('PLUGIN_TIMEOUT', 'the call did not finish within 250 ms (limits.timeout_ms)'),
    );
    const stopped = (await send().catch((err: AppError) => err)) as AppError;
    expect(stopped).toMatchObject({ code: 'PLUGIN_COMMUNICATION_TIMEOUT', details: { reason: 'timeout' } });
    expect(stopped.details).toEqual({ reason: 'timeout', key: 'a.target' });
  });

  it("answers the target's own failure as response.status error", async () => {
    parties({ 'a.sender': party('a.sender'), 'a.target': party('a.target') });
    router.request.mockRejectedValue(new RuntimeError('PLUGIN_ERROR', 'bad input'));
    const res = await service.send(caller, 'a.sender', { target_plugin: 'a.target', message_type: 't' });
    expect(res.response).toEqual({
      status: 'error',
      data: null,
      error: { code: 'PLUGIN_ERROR', message: 'bad input' },
    });
  });
});

describe('MessagesService.broadcast', () => {
  it('sends to the active receivers of the asked categories except the excluded, and sorts the outcome', async () => {
    directory.broadcastRecipients.mockResolvedValue([
      party('m.b', { installationId: 'i2' }),
      party('m.a', { installationId: 'i1' }),
      party('m.slow', { installationId: 'i3' }),
      party('m.bad', { installationId: 'i4' }),
      party('m.excluded', { installationId: 'i5' }),
      party('m.other', { installationId: 'i6', category: 'security' }),
      party('m.nocat', { installationId: 'i7', category: null }),
      party('m.deaf', { installationId: 'i8', grants: ['messages:send'] }),
      party('m.off', { installationId: 'i9', state: 'inactive' }),
      party('m.dead', { installationId: 'i10', state: 'killed' }),
    ]);
    router.request.mockImplementation((id: string) => {
      if (id === 'i3') return Promise.reject(new RuntimeError('PLUGIN_TIMEOUT', 'late'));
      if (id === 'i4') return Promise.reject(new RuntimeError('PLUGIN_ERROR', 'boom'));
      return Promise.resolve(true);
    });
    const res = await service.broadcast(admin, undefined, {
      message_type: 'hello',
      target_categories: ['monitoring'],
      exclude_plugins: ['m.excluded'],
      timeout_seconds: 3,
    });
    expect(res.delivered).toEqual(['m.a', 'm.b']);
    expect(res.failed).toEqual([
      { plugin: 'm.bad', installation_id: 'i4', reason: 'error' },
      { plugin: 'm.slow', installation_id: 'i3', reason: 'timeout' },
    ]);
    expect(directory.broadcastRecipients).toHaveBeenCalledWith(null);
    expect(router.request).toHaveBeenCalledTimes(4);
    for (const call of router.request.mock.calls) expect(call[3]).toBe(3000);
  });

  it("refuses a caller who is not a platform admin without an organisation, and a non-admin of the organisation's", async () => {
    await expect(service.broadcast(caller, undefined, { message_type: 'x' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'not_broadcaster' },
    });
    access.resolveTarget.mockResolvedValue({ kind: 'org', id: 'o1', org: { id: 'o1', slug: 'acme' } } as never);
    access.assert.mockImplementation((_c, _a, _t, deny: () => Error) => Promise.reject(deny()));
    await expect(service.broadcast(caller, 'acme', { message_type: 'x' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      details: { reason: 'not_broadcaster' },
    });
    expect(directory.broadcastRecipients).not.toHaveBeenCalled();
  });

  it("sends an organisation admin's broadcast to that organisation's installations", async () => {
    access.resolveTarget.mockResolvedValue({ kind: 'org', id: 'o1', org: { id: 'o1', slug: 'acme' } } as never);
    access.assert.mockResolvedValue(undefined);
    directory.broadcastRecipients.mockResolvedValue([]);
    expect(await service.broadcast(caller, 'acme', { message_type: 'x' })).toMatchObject({ delivered: [], failed: [] });
    expect(directory.broadcastRecipients).toHaveBeenCalledWith('o1');
  });
});
