import { describe, expect, it } from 'vitest';
import { needsRequestScopes } from './request-context.js';

describe('needsRequestScopes', () => {
  it('leaves out the reads that never call a plugin', () => {
    for (const url of [
      '/api/auth/me',
      '/api/auth/api-tokens/',
      '/api/users',
      '/api/users/:id',
      '/api/orgs/:org/members',
      '/api/invitations',
      '/api/version',
      '/api/version-text',
      '/api/schema',
      '/api/plugins',
      '/api/plugins/',
      '/api/plugins/:plugin',
      '/api/plugins/:plugin/versions/:version/download',
      '/api/plugins/:plugin/reviews',
      '/api/repositories',
      '/metrics',
    ]) {
      expect(needsRequestScopes(['GET'], url), url).toBe(false);
      expect(needsRequestScopes(['GET', 'HEAD'], url), url).toBe(false);
    }
  });

  it('keeps them on every route that may call a plugin, and on every write', () => {
    for (const url of [
      '/api/plugins/:plugin/endpoints/*',
      '/api/plugins/:plugin/health',
      '/api/plugins/:plugin/metadata',
      '/api/plugins/:plugin/config',
      '/api/plugins/status',
      '/api/plugins/settings',
      '/api/installations/:id',
      '/api/events/stream',
      '/api/health',
      '/api/admin/plugins',
      '/api/authx',
    ]) {
      expect(needsRequestScopes(['GET'], url), url).toBe(true);
    }
    expect(needsRequestScopes(['POST'], '/api/auth/token')).toBe(true);
    expect(needsRequestScopes(['PATCH'], '/api/plugins/:plugin')).toBe(true);
    expect(needsRequestScopes(['GET', 'POST'], '/api/users')).toBe(true);
  });
});
