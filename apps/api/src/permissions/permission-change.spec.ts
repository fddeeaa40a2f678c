import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CAPABILITIES, type Permission } from '@app/plugin-sdk';
import { DEFAULT_PLATFORM_LIMITS } from '@app/runtime';
import { deniedOf, type PermissionsState, planPermissions } from './permission-change.js';

const MAX = DEFAULT_PLATFORM_LIMITS.max;
const http = (...hosts: string[]): Permission => ({ capability: 'http:external', hosts });

const state = (over: Partial<PermissionsState> = {}): PermissionsState => ({
  requested: ['log', 'config:read', 'secrets:read', 'storage:write', http('a.example.com', 'b.example.com')],
  grants: ['log', 'config:read', http('a.example.com')],
  pendingGrants: [],
  limits: null,
  securityLevel: null,
  ...over,
});

const fields = (plan: ReturnType<typeof planPermissions>) => (plan.ok ? [] : plan.errors.map((e) => e.field));

describe('planPermissions', () => {
  it('grants requested capabilities and hosts, revokes granted ones, and reports a change', () => {
    const plan = planPermissions(
      state(),
      { grant: ['storage:write', http('b.example.com')], revoke: ['config:read'] },
      MAX,
    );
    expect(plan).toEqual({
      ok: true,
      changed: true,
      change: {
        grants: ['log', http('a.example.com', 'b.example.com'), 'storage:write'],
        pendingGrants: [],
        limits: null,
        securityLevel: null,
      },
    });
  });

  it('revoking what is not granted, or granting what is, changes nothing', () => {
    const plan = planPermissions(state(), { grant: ['log'], revoke: ['storage:write', http('b.example.com')] }, MAX);
    expect(plan).toMatchObject({ ok: true, changed: false });
  });

  it('revokes one host of http:external, or every host by name', () => {
    const two = state({ grants: [http('a.example.com', 'b.example.com')] });
    expect(planPermissions(two, { revoke: [http('a.example.com')] }, MAX)).toMatchObject({
      change: { grants: [http('b.example.com')] },
    });
    expect(planPermissions(two, { revoke: ['http:external'] }, MAX)).toMatchObject({ change: { grants: [] } });
  });

  it('refuses every grant the installed version does not request, hosts included, at once', () => {
    const plan = planPermissions(
      state(),
      { grant: ['log', 'messages:send', http('c.example.com'), 'events:emit'] },
      MAX,
    );
    expect(plan).toMatchObject({ ok: false, reason: 'grant_not_requested' });
    expect(fields(plan)).toEqual(['grant.1', 'grant.2', 'grant.3']);
  });

  it('refuses a capability granted and revoked by the same request', () => {
    const plan = planPermissions(state(), { grant: ['storage:write'], revoke: ['log', 'storage:write'] }, MAX);
    expect(plan).toMatchObject({ ok: false, reason: 'granted_and_revoked' });
    expect(fields(plan)).toEqual(['revoke.1']);
  });

  it('grants limits up to the platform maximums; null puts one back to the default', () => {
    const plan = planPermissions(
      state({ limits: { memory_mb: 64, timeout_ms: 1000 } }),
      { resource_limits: { memory_mb: null, max_pending: 4, storage_quota_bytes: MAX.storage_quota_bytes } },
      MAX,
    );
    expect(plan).toMatchObject({
      ok: true,
      change: { limits: { timeout_ms: 1000, max_pending: 4, storage_quota_bytes: MAX.storage_quota_bytes } },
    });
    const cleared = planPermissions(
      state({ limits: { memory_mb: 64 } }),
      { resource_limits: { memory_mb: null } },
      MAX,
    );
    expect(cleared).toMatchObject({ ok: true, changed: true, change: { limits: null } });
    const over = planPermissions(
      state(),
      { resource_limits: { memory_mb: 65, timeout_ms: 10 } },
      { ...MAX, memory_mb: 64, timeout_ms: 5 },
    );
    expect(over).toMatchObject({ ok: false, reason: 'above_platform_maximum' });
    expect(fields(over)).toEqual(['resource_limits.memory_mb', 'resource_limits.timeout_ms']);
  });

  it('a security level refuses riskier grants, and lowering it below a kept grant', () => {
    const medium = state({ grants: ['log'], securityLevel: 'medium' });
    const plan = planPermissions(medium, { grant: ['storage:write', 'secrets:read'] }, MAX);
    expect(plan).toMatchObject({ ok: false, reason: 'above_security_level' });
    expect(fields(plan)).toEqual(['grant.1']);
    const lowered = planPermissions(state(), { security_level: 'low' }, MAX);
    expect(lowered).toMatchObject({ ok: false, reason: 'above_security_level' });
    expect(fields(lowered)).toEqual(['security_level']);
    expect(planPermissions(state(), { security_level: 'low', revoke: ['http:external'] }, MAX)).toMatchObject({
      ok: true,
      change: { securityLevel: 'low', grants: ['log', 'config:read'] },
    });
    expect(planPermissions(medium, { security_level: 'high', grant: ['secrets:read'] }, MAX)).toMatchObject({
      ok: true,
      change: { securityLevel: 'high', grants: ['log', 'secrets:read'] },
    });
  });

  it('granting or revoking a pending grant settles it', () => {
    const pending = state({ pendingGrants: ['storage:write', http('b.example.com')] });
    expect(planPermissions(pending, { grant: ['storage:write'] }, MAX)).toMatchObject({
      change: { pendingGrants: [http('b.example.com')] },
    });
    expect(planPermissions(pending, { revoke: ['http:external'] }, MAX)).toMatchObject({
      change: { pendingGrants: ['storage:write'] },
    });
  });

  it('whatever is granted stays within what is requested, and granted and denied split the requests', () => {
    const simple = CAPABILITIES.filter((c) => c !== 'http:external');
    fc.assert(
      fc.property(fc.subarray(simple), fc.subarray(simple), fc.subarray(simple), (requested, grant, revoke) => {
        const plan = planPermissions(
          { requested, grants: [], pendingGrants: [], limits: null, securityLevel: null },
          { grant, revoke },
          MAX,
        );
        if (!plan.ok) {
          expect(grant.some((g) => !requested.includes(g) || revoke.includes(g))).toBe(true);
          return;
        }
        const granted = plan.change.grants as string[];
        expect(granted.every((g) => requested.includes(g as never) && !revoke.includes(g as never))).toBe(true);
        const denied = deniedOf(requested, plan.change.grants) as string[];
        expect([...granted, ...denied].sort()).toEqual([...requested].sort());
      }),
    );
  });
});

describe('deniedOf', () => {
  it('lists requested capabilities and hosts that are not granted', () => {
    expect(deniedOf(state().requested, state().grants)).toEqual([
      'secrets:read',
      'storage:write',
      http('b.example.com'),
    ]);
  });
});
