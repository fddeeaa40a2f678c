import { describe, expect, it } from 'vitest';
import { inventreeOperationId } from './operation-id.js';

describe('inventreeOperationId', () => {
  it.each([
    ['/api/plugins/', 'get', true, 'plugins_list'],
    ['/api/plugins/{plugin}/', 'get', false, 'plugins_retrieve'],
    ['/api/plugins/{plugin}/install/', 'post', false, 'plugins_install_create'],
    ['/api/plugins/{plugin}/install/', 'delete', false, 'plugins_install_destroy'],
    ['/api/plugins/{plugin}/settings/{key}/', 'patch', false, 'plugins_settings_partial_update'],
    ['/api/plugins/{plugin}/settings/{key}/', 'put', false, 'plugins_settings_update'],
    ['/api/auth/api-tokens/{id}/', 'delete', false, 'auth_api_tokens_destroy'],
    ['/api/version-text/', 'get', false, 'version_text_retrieve'],
    ['/api/auth/me/', 'get', false, 'auth_me_retrieve'],
  ])('%s %s → %s', (path, method, isList, expected) => {
    expect(inventreeOperationId(path, method, isList)).toBe(expected);
  });

  it('refuses methods InvenTree has no action for', () => {
    expect(() => inventreeOperationId('/api/x/', 'options', false)).toThrow(/No InvenTree action/);
  });
});
