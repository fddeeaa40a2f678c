import { installationFixture as inst } from '@test/support/fixtures.js';
import { describe, expect, it } from 'vitest';
import { effectiveSet } from './effective-set.js';

const own = (key: string, status = 'active' as const) =>
  inst({ id: `own-${key}`, pluginKey: key, status, target: { scope: 'user', userId: 'u1' } });
const org = (key: string, orgId: string, status: 'active' | 'disabled' | 'killed' = 'active', at = 0) =>
  inst({ id: `${orgId}-${key}`, pluginKey: key, status, target: { scope: 'org', orgId }, installedAt: new Date(at) });
const global = (key: string, status: 'active' | 'disabled' = 'active') =>
  inst({ id: `g-${key}`, pluginKey: key, status, target: { scope: 'global' } });

const summary = (entries: ReturnType<typeof effectiveSet>) =>
  entries.map((e) => [e.installation.pluginKey, e.installation.id, e.active, e.overriddenBy?.id ?? null]);

describe('effectiveSet', () => {
  it('has one entry per plugin: the user’s own first, then an organisation’s, then the global one', () => {
    const entries = effectiveSet([
      global('acme.a'),
      org('acme.a', 'o1'),
      own('acme.a'),
      global('acme.b'),
      org('acme.c', 'o1'),
    ]);
    expect(summary(entries)).toEqual([
      ['acme.a', 'own-acme.a', true, null],
      ['acme.b', 'g-acme.b', true, null],
      ['acme.c', 'o1-acme.c', true, null],
    ]);
  });

  it('lets an organisation’s disable override the user’s own installation', () => {
    expect(summary(effectiveSet([own('acme.a'), org('acme.a', 'o1', 'disabled')]))).toEqual([
      ['acme.a', 'own-acme.a', false, 'o1-acme.a'],
    ]);
  });

  it('lets a global disable or kill override an organisation’s installation', () => {
    expect(summary(effectiveSet([org('acme.a', 'o1'), global('acme.a', 'disabled')]))).toEqual([
      ['acme.a', 'o1-acme.a', false, 'g-acme.a'],
    ]);
  });

  it('does not let one organisation override another: the active one serves', () => {
    expect(summary(effectiveSet([org('acme.a', 'o1', 'disabled'), org('acme.a', 'o2', 'active', 5)]))).toEqual([
      ['acme.a', 'o2-acme.a', true, null],
    ]);
  });

  it('reports a disabled own installation as off without an override', () => {
    expect(summary(effectiveSet([own('acme.a', 'disabled' as 'active')]))).toEqual([
      ['acme.a', 'own-acme.a', false, null],
    ]);
  });
});
