import { describe, expect, it } from 'vitest';
import { listingOf, mixinsOf } from './manifest-info.js';

describe('manifest info', () => {
  it('derives mixins from settings, permissions, events and runtime', () => {
    expect(mixinsOf({ runtime: { type: 'sandbox' } })).toEqual([]);
    expect(
      mixinsOf({
        settings: { a: { type: 'string' } },
        permissions: ['messages:send', 'storage:read', { capability: 'http:external', hosts: ['x.com'] }],
        runtime: { type: 'remote' },
      }),
    ).toEqual(['settings', 'messaging', 'storage', 'http', 'remote']);
    expect(mixinsOf({ events: { subscribes: [{ type: 'a.b' }] } })).toEqual(['events']);
    expect(mixinsOf({ settings: {}, events: { emits: [] } })).toEqual([]);
  });

  it('takes listing fields from the manifest, with nulls for what is missing', () => {
    const l = listingOf({
      key: 'acme.x',
      name: 'X',
      description: 'does x',
      tags: ['a'],
      dependencies: { 'acme.z': '^1', 'acme.y': '*' },
    });
    expect(l).toEqual({
      name: 'X',
      description: 'does x',
      category: null,
      tags: ['a'],
      homepage: null,
      repository: null,
      icon: null,
      author: null,
      license: null,
      mixins: [],
      dependencies: ['acme.y', 'acme.z'],
    });
  });
});
