/**
 * @app/runtime: runs plugin installations.
 *
 * ```ts
 * const runtime = new PluginRuntime({ observer, storage: new MongoPluginStorage(db.collection('plugin_storage')), bridge });
 * await runtime.load({ installationId, pluginKey, version, manifest, code, config, secrets, grants, limits });
 * const reply = await runtime.message(installationId, { type: 'greet', data: { name: 'Ada' }, from: null });
 * await runtime.event(installationId, { type: 'user.login', data: {...} });
 * const report = await runtime.health(installationId);   // never throws for plugin failures
 * runtime.status(installationId);                        // state, counters, memory, limits
 * await runtime.restart(installationId, { config });     // also revives a `failed` instance
 * await runtime.stop(installationId);                    // onCleanup, then the sandbox is freed
 * await runtime.close();
 * ```
 *
 * Sandbox plugins (`runtime.type: 'sandbox'`) are ES modules evaluated in QuickJS (WebAssembly), one QuickJS
 * runtime per installation, several per worker thread (see PluginRuntime.pickWorker for the measurements).
 * The sandbox gets only the `context` API of @app/plugin-sdk, gated by the granted capabilities (grants the manifest
 * did not request are ignored). Lifecycle: load → onInit(context) → `ready` → onMessage / onEvent / onHealth →
 * onCleanup on stop. States: loading, ready, failed, stopping, stopped.
 *
 * Limits per installation (`limits` of the spec, else the manifest, else DEFAULT_LIMITS):
 * - memory_mb: QuickJS heap limit; exceeding it fails the call with PLUGIN_MEMORY_LIMIT.
 * - timeout_ms: wall-clock budget per hook call, host calls included; CPU loops are interrupted at the deadline.
 *   A worker that still does not answer `watchdogGraceMs` later is terminated (`killed`) and its other
 *   sandboxes are reloaded.
 * - max_pending: concurrent calls; one more is rejected at once with LIMIT_EXCEEDED.
 * Timeouts, kills and memory-limit hits count as crashes: `maxCrashes` of them within `crashWindowMs` put the
 * instance in `failed` (calls then fail with PLUGIN_FAILED until `restart`). A plugin that throws just fails
 * that call (outcome `error`).
 *
 * Remote plugins (`runtime.type: 'remote'`) are signed HTTP POSTs; see RemotePluginClient and verifyRemoteSignature.
 *
 * Every hook call, plugin log line and state change goes to the one RuntimeObserver. Failures are RuntimeError
 * with a `code` (RuntimeErrorCode) and an `apiCode` from the platform error catalogue.
 */
export { PluginRuntime } from './plugin-runtime.js';
export { effectiveGrants, resolveLimits } from './grants.js';
export { safeParse } from './safe-parse.js';
export { RuntimeError, RUNTIME_ERROR_CODES, type RuntimeErrorCode } from './runtime-error.js';
export type * from './runtime.types.js';
export type { PluginStorage } from './storage/plugin-storage.js';
export { MemoryPluginStorage } from './storage/memory-plugin-storage.js';
export { MongoPluginStorage, type PluginStorageDocument } from './storage/mongo-plugin-storage.js';
export {
  DELIVERY_HEADER,
  INSTALLATION_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signRemoteRequest,
  verifyRemoteSignature,
} from './remote/remote-signature.js';
export { readPluginDirectory, type PluginDirectory } from './plugin-directory.js';
