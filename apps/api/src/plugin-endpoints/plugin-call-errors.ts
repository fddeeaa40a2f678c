import { AppError } from '@app/common';
import { RuntimeError } from '@app/runtime';
import { PluginInactiveError } from './plugin-endpoints.errors.js';

/** The reason reported when the runtime gives none, by its code. */
const DEFAULT_REASONS: Partial<Record<RuntimeError['code'], string>> = {
  PLUGIN_TIMEOUT: 'timeout',
  PLUGIN_UNREACHABLE: 'unreachable',
  PLUGIN_PERMISSION_DENIED: 'not_granted',
  PLUGIN_MEMORY_LIMIT: 'out_of_memory',
  LIMIT_EXCEEDED: 'max_pending',
  PLUGIN_KILLED: 'worker_lost',
  INVALID_ARGUMENT: 'invalid_argument',
};

/**
 * A failed call into a plugin, as the API answers it: the runtime's catalogue code (`apiCode`) and its
 * `details.reason`, the message with the installation's secret values redacted. An instance that is not loaded or
 * has failed is the installation not running (409 inactive). Anything else is rethrown.
 */
export function pluginCallError(err: unknown, key: string, redact: (text: string) => string): AppError {
  if (!(err instanceof RuntimeError)) throw err;
  if (err.code === 'PLUGIN_NOT_LOADED' || err.code === 'PLUGIN_FAILED' || err.code === 'RUNTIME_CLOSED') {
    return new PluginInactiveError(key, 'not_running');
  }
  const reason = err.details.reason ?? DEFAULT_REASONS[err.code] ?? 'plugin_error';
  return new AppError(err.apiCode, redact(err.message), [], { key, reason });
}
