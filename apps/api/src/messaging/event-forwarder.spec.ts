import { describe, expect, it } from 'vitest';
import { ownerOf, reviewOwner, systemEventData } from './event-forwarder.js';

describe('system event payloads', () => {
  it('keep ids, versions, statuses and reasons, never setting values or secrets', () => {
    const at = new Date('2026-12-01T10:00:00Z');
    const data = systemEventData({
      installationId: 'i1',
      pluginKey: 'acme.x',
      fromVersion: '1.0.0',
      toVersion: '1.1.0',
      rolledBack: false,
      reason: null,
      keys: ['api_key'],
      config: { batch: 3 },
      secrets: { api_key: 'sealed' },
      values: { api_key: 'plain' },
      actor: { kind: 'user', id: 'u1', roles: ['admin'], tokenId: 't1' },
      at,
    });
    expect(data).toEqual({
      installation_id: 'i1',
      plugin_key: 'acme.x',
      from_version: '1.0.0',
      to_version: '1.1.0',
      rolled_back: false,
      reason: null,
      keys: ['api_key'],
      actor: { kind: 'user', id: 'u1' },
      at: '2026-12-01T10:00:00.000Z',
    });
  });

  it('take the owner from the installation target, and none from a malformed one', () => {
    expect(ownerOf({ target: { scope: 'org', userId: null, orgId: 'o1' } })).toEqual({
      scope: 'org',
      userId: null,
      orgId: 'o1',
    });
    expect(ownerOf({ target: { scope: 'global' } })).toEqual({ scope: 'global', userId: null, orgId: null });
    expect(ownerOf({ target: { scope: 'user', userId: '' } })).toBeNull();
    expect(ownerOf({})).toBeNull();
  });

  it("send a review to the plugin's owning user or organisation; a platform plugin's to the admins alone", () => {
    expect(reviewOwner({ ownerType: 'user', ownerId: 'u1' })).toEqual({ scope: 'user', userId: 'u1', orgId: null });
    expect(reviewOwner({ ownerType: 'org', ownerId: 'o1' })).toEqual({ scope: 'org', userId: null, orgId: 'o1' });
    expect(reviewOwner({ ownerType: 'system', ownerId: null })).toBeNull();
    expect(reviewOwner({ ownerType: 'user', ownerId: null })).toBeNull();
  });
});
