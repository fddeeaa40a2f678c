import type { InstallationStatus } from './installation.entity.js';
import { DeactivateFirstError, InvalidTransitionError, PluginKilledError } from './installation.errors.js';

/**
 * What may happen to an installation, by the user or the platform:
 * - `activate` (activate, enable): start it; `deactivate` (deactivate, disable): stop it;
 * - `restart`: stop and start it again (also how a `failed` one is retried);
 * - `update`: move it to another version (an update, a rollback to a backup); it keeps its desired state;
 * - `uninstall`: remove it (from disabled, failed or killed; an active one must be deactivated first);
 * - `fail`: it did not start, or the runtime gave up on it; `kill` / `revive`: the administrators' kill switch.
 */
export type LifecycleAction =
  'activate' | 'deactivate' | 'restart' | 'update' | 'uninstall' | 'fail' | 'kill' | 'revive';

/**
 * The state machine (issue 10): installing → active | disabled | failed; active ↔ disabled; disabled | failed →
 * uninstalling → removed; any installed state → killed → disabled (revive) or uninstalling. `installing` and
 * `uninstalling` belong to the operation moving them: nothing else acts on them.
 */
const TRANSITIONS: Record<InstallationStatus, Partial<Record<LifecycleAction, InstallationStatus>>> = {
  installing: {},
  active: { deactivate: 'disabled', restart: 'active', update: 'active', fail: 'failed', kill: 'killed' },
  disabled: { activate: 'active', update: 'disabled', uninstall: 'uninstalling', kill: 'killed' },
  failed: {
    activate: 'active',
    restart: 'active',
    update: 'active',
    deactivate: 'disabled',
    uninstall: 'uninstalling',
    kill: 'killed',
  },
  killed: { revive: 'disabled', uninstall: 'uninstalling' },
  uninstalling: {},
};

/** The status `action` leads to from `status`, or null when the state machine does not allow it. */
export function nextStatus(status: InstallationStatus, action: LifecycleAction): InstallationStatus | null {
  return TRANSITIONS[status][action] ?? null;
}

/**
 * The status `action` leads to, or the error to answer: PLUGIN_KILLED for starting a killed installation,
 * deactivate_first for uninstalling an active one, otherwise CONFLICT naming the current state.
 */
export function transition(status: InstallationStatus, action: LifecycleAction, pluginKey: string): InstallationStatus {
  const next = nextStatus(status, action);
  if (next) return next;
  if (status === 'killed' && (action === 'activate' || action === 'restart' || action === 'update')) {
    throw new PluginKilledError(pluginKey);
  }
  if (status === 'active' && action === 'uninstall') throw new DeactivateFirstError();
  throw new InvalidTransitionError(status, action);
}

/** Whether the installation should run: what boot and reload bring back. */
export const wantsToRun = (status: InstallationStatus) => status === 'active' || status === 'failed';
