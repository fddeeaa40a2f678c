import type { Permission } from '@app/plugin-sdk';
import { describe, expect, it } from 'vitest';
import { grantsAcrossVersions, grantsAtInstall, normalise } from './grants.js';

const requested: Permission[] = [
  'log',
  'storage:read',
  { capability: 'http:external', hosts: ['api.example.com', 'hooks.example.com'] },
];

describe('grantsAtInstall', () => {
  it('grants everything requested when the caller names nothing', () => {
    expect(grantsAtInstall(requested, undefined)).toEqual({
      grants: ['log', 'storage:read', { capability: 'http:external', hosts: ['api.example.com', 'hooks.example.com'] }],
      errors: [],
    });
  });

  it('grants exactly what the caller consents to, a subset of hosts included', () => {
    const given: Permission[] = ['log', { capability: 'http:external', hosts: ['hooks.example.com'] }];
    expect(grantsAtInstall(requested, given).grants).toEqual(given);
    expect(grantsAtInstall(requested, []).grants).toEqual([]);
  });

  it('names every grant the manifest did not request, hosts included', () => {
    const given: Permission[] = [
      'log',
      'secrets:read',
      { capability: 'http:external', hosts: ['evil.example.net', 'api.example.com'] },
    ];
    const { grants, errors } = grantsAtInstall(requested, given);
    expect(grants).toEqual([]);
    expect(errors.map((e) => e.field)).toEqual(['grants.1', 'grants.2']);
    expect(errors[1].message).toContain('evil.example.net');
  });
});

describe('grantsAcrossVersions', () => {
  it('keeps what is still requested and leaves new requests pending', () => {
    const next: Permission[] = [
      'log',
      'events:emit',
      { capability: 'http:external', hosts: ['api.example.com', 'new.example.com'] },
    ];
    const { grants, pending } = grantsAcrossVersions(['log', 'storage:read', requested[2]], requested, next);
    expect(grants).toEqual(['log', { capability: 'http:external', hosts: ['api.example.com'] }]);
    expect(pending).toEqual(['events:emit', { capability: 'http:external', hosts: ['new.example.com'] }]);
  });

  it('keeps granted custom scopes the new version still requests and leaves new ones pending', () => {
    const scoped = (list: string[]) => list as Permission[];
    const { grants, pending } = grantsAcrossVersions(
      scoped(['log', 'read:data', 'users:read']),
      scoped(['log', 'read:data', 'users:read']),
      scoped(['log', 'read:data', 'write:data']),
    );
    expect([grants, pending]).toEqual([['log', 'read:data'], ['write:data']]);
  });

  it('does not re-ask what the owner declined before', () => {
    const { grants, pending } = grantsAcrossVersions(['log'], ['log', 'storage:read'], ['log', 'storage:read']);
    expect([grants, pending]).toEqual([['log'], []]);
  });
});

describe('normalise', () => {
  it('merges duplicates and http hosts', () => {
    expect(
      normalise([
        'log',
        { capability: 'http:external', hosts: ['b.example.com'] },
        'log',
        { capability: 'http:external', hosts: ['a.example.com', 'b.example.com'] },
      ]),
    ).toEqual(['log', { capability: 'http:external', hosts: ['a.example.com', 'b.example.com'] }]);
  });
});
