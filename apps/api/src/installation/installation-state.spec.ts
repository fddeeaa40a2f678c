import { describe, expect, it } from 'vitest';
import { INSTALLATION_STATUSES } from './installation.entity.js';
import { type LifecycleAction, nextStatus, transition } from './installation-state.js';

const ACTIONS: LifecycleAction[] = [
  'activate',
  'deactivate',
  'restart',
  'update',
  'uninstall',
  'fail',
  'kill',
  'revive',
];
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const e = err as { code: string; details: { reason: string } };
    return `${e.code}/${e.details.reason}`;
  }
};

describe('the installation state machine', () => {
  it('toggles active ↔ disabled, retries failed, and uninstalls only what is not running', () => {
    expect(nextStatus('active', 'deactivate')).toBe('disabled');
    expect(nextStatus('disabled', 'activate')).toBe('active');
    expect(nextStatus('failed', 'activate')).toBe('active');
    expect(nextStatus('failed', 'restart')).toBe('active');
    expect(nextStatus('active', 'restart')).toBe('active');
    expect(nextStatus('disabled', 'uninstall')).toBe('uninstalling');
    expect(nextStatus('failed', 'uninstall')).toBe('uninstalling');
    expect(nextStatus('active', 'uninstall')).toBeNull();
  });

  it('updates what is installed and idle, whatever its desired state', () => {
    expect(nextStatus('active', 'update')).toBe('active');
    expect(nextStatus('disabled', 'update')).toBe('disabled');
    expect(nextStatus('failed', 'update')).toBe('active');
  });

  it('leaves installing and uninstalling to the operation that owns them', () => {
    for (const action of ACTIONS) {
      expect(nextStatus('installing', action)).toBeNull();
      expect(nextStatus('uninstalling', action)).toBeNull();
    }
  });

  it('keeps a killed installation off until it is revived, but lets it be uninstalled', () => {
    expect(nextStatus('killed', 'revive')).toBe('disabled');
    expect(nextStatus('killed', 'uninstall')).toBe('uninstalling');
    for (const status of ['active', 'disabled', 'failed'] as const) expect(nextStatus(status, 'kill')).toBe('killed');
    expect(codeOf(() => transition('killed', 'activate', 'acme.x'))).toBe('PLUGIN_KILLED/plugin_killed');
    expect(codeOf(() => transition('killed', 'restart', 'acme.x'))).toBe('PLUGIN_KILLED/plugin_killed');
    expect(codeOf(() => transition('killed', 'update', 'acme.x'))).toBe('PLUGIN_KILLED/plugin_killed');
  });

  it('answers an active uninstall with deactivate_first and every other illegal move with invalid_state', () => {
    expect(codeOf(() => transition('active', 'uninstall', 'acme.x'))).toBe('CONFLICT/deactivate_first');
    for (const status of INSTALLATION_STATUSES) {
      for (const action of ACTIONS) {
        const expected = nextStatus(status, action);
        const got = codeOf(() => transition(status, action, 'acme.x'));
        if (expected) expect(got).toBe('ok');
        else expect(got).toMatch(/^(CONFLICT\/(invalid_state|deactivate_first)|PLUGIN_KILLED\/plugin_killed)$/);
      }
    }
  });

  it('never activates an active installation again, nor disables a disabled one', () => {
    expect(codeOf(() => transition('active', 'activate', 'acme.x'))).toBe('CONFLICT/invalid_state');
    expect(codeOf(() => transition('disabled', 'deactivate', 'acme.x'))).toBe('CONFLICT/invalid_state');
  });
});
