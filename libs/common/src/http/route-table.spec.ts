import { describe, expect, it } from 'vitest';
import { RouteTable } from './route-table.js';

describe('RouteTable', () => {
  const table = new RouteTable();
  table.add('GET', '/api/users');
  table.add('POST', '/api/users');
  table.add(['GET', 'PATCH'], '/api/users/:id');
  table.add('DELETE', '/api/orgs/:org/members/:user');
  table.add('GET', '/api/range/:from-:to');
  table.add('POST', '/api/plugins/:plugin/endpoints/*');

  it('lists the methods served at a concrete path, HEAD with GET, ignoring a trailing slash and the query', () => {
    expect(table.allowedFor('/api/users/')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedFor('/api/users?limit=5')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedFor('/api/users/abc/')).toEqual(['GET', 'HEAD', 'PATCH']);
    expect(table.allowedFor('/api/orgs/acme/members/u1')).toEqual(['DELETE']);
    expect(table.allowedFor('/api/range/1-5')).toEqual(['GET', 'HEAD']);
    expect(table.allowedFor('/api/plugins/a.b/endpoints/x/y/z')).toEqual(['POST']);
  });

  it('knows nothing of paths no route serves', () => {
    expect(table.allowedFor('/api/nothing')).toEqual([]);
    expect(table.allowedFor('/api/users/abc/extra')).toEqual([]);
    expect(table.allowedFor('/api/orgs/acme/members')).toEqual([]);
    expect(table.allowedFor('/api/users//')).toEqual(['GET', 'HEAD', 'POST']);
  });
});
