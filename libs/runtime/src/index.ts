/**
 * @app/runtime: runs plugin installations.
 *
 * ```ts
 * const runtime = new PluginRuntime({ observer, storage, bridge });   // the app's storage is a Mongo repository
 * await runtime.load({ installationId, pluginKey, version, manifest, code, config, secrets, grants, limits });
 * const reply = await runtime.message(installationId, { type: 'greet', data: { name: 'Ada' }, from: null });
 * await runtime.event(installationId, { type: 'user.login', data: {...} });
 * const report = await runtime.health(installationId);   // never throws for plugin failures
 * runtime.status(installationId);                        // state, counters, memory, limits
 * await runtime.reconfigure(installationId, { config });  // live: the next call sees it
 * await runtime.restart(installationId, { config });     // also revives a `failed` instance
 * await runtime.stop(installationId);                    // onCleanup, then the sandbox is freed
 * await runtime.close();
 * ```
 *
 * Sandbox plugins (`runtime.type: 'sandbox'`) are ES modules evaluated in QuickJS (WebAssembly), one QuickJS
 * runtime per installation, several per worker thread (see WorkerPool for the measurements).
 * The sandbox gets only the `context` API of @app/plugin-sdk, gated by the granted capabilities (grants the manifest
 * did not request are ignored). Lifecycle: load → onInit(context) → `ready` → onMessage / onEvent / onHealth →
 * onCleanup on stop. States: loading, ready, failed, stopping, stopped.
 *
 * Limits (see README.md): what the installation was granted, up to the platform maximum (RuntimeOptions.limits),
 * else the platform default or the manifest's lower ask.
 * - memory_mb: QuickJS heap, checked by the engine and by the runtime's own measure; PLUGIN_MEMORY_LIMIT.
 * - timeout_ms: per call, timed from when the worker starts it; CPU loops are interrupted at the deadline.
 * - max_pending: concurrent calls; one more is rejected at once with LIMIT_EXCEEDED.
 * - CPU per installation per window (RuntimeOptions.cpu), background work included.
 * Timeouts, memory-limit hits, stack overflows, spent CPU budgets and worker losses it caused count as crashes:
 * `maxCrashes` of them within `crashWindowMs` put the instance in `failed` (calls then fail with PLUGIN_FAILED
 * until `restart`). A plugin that throws just fails that call (outcome `error`). A worker stuck past a deadline is
 * terminated by the watchdog; only the installation holding it is charged and quarantined, its neighbours' calls
 * are retried once elsewhere. `reconfigure` changes grants, config and limits of a live instance.
 *
 * Remote plugins (`runtime.type: 'remote'`) are signed HTTP POSTs; see RemotePluginClient and verifyRemoteSignature.
 *
 * Every hook call, plugin log line and state change goes to the one RuntimeObserver. Failures are RuntimeError
 * with a `code` (RuntimeErrorCode), an `apiCode` from the platform error catalogue and a `details.reason`.
 */
export { PluginRuntime } from './plugin-runtime.js';
export type { InstanceFilter } from './runtime/instance-index.js';
export { DEFAULT_PLATFORM_LIMITS, effectiveGrants, platformLimits, resolveLimits } from './grants.js';
export { safeParse } from './safe-parse.js';
export { isReservedAddress, type HostResolver, type ResolvedAddress, systemResolver } from './host-fetch.js';
export { REDACTED, redactSecrets } from './redact.js';
export { RuntimeError, RUNTIME_ERROR_CODES, type RuntimeErrorCode } from './runtime-error.js';
export type * from './runtime.types.js';
export {
  type PluginStorage,
  checkKey,
  encodeValue,
  entrySize,
  KeyedMutex,
  MAX_STORAGE_KEY_LENGTH,
  quotaError,
} from './storage/plugin-storage.js';
export { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
export {
  DELIVERY_HEADER,
  INSTALLATION_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signRemoteRequest,
  verifyRemoteSignature,
} from './remote/remote-signature.js';
export { readPluginDirectory, type PluginDirectory } from './plugin-directory.js';
