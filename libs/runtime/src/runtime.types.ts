import type {
  HealthCheck,
  PermissionEntry,
  PluginEvent,
  PluginLimits,
  PluginManifest,
  PluginRequestUser,
} from '@app/plugin-sdk';
import type { HostResolver } from './host-fetch.js';
import type { CpuBudget, HookOutcome, PayloadBounds, ResponseBounds } from './sandbox/protocol.js';
import type { PluginStorage } from './storage/plugin-storage.js';

export type { CpuBudget, HookOutcome, PayloadBounds, ResponseBounds } from './sandbox/protocol.js';
export type { HostResolver, ResolvedAddress } from './host-fetch.js';

export type HookName = 'onInit' | 'onMessage' | 'onEvent' | 'onProcess' | 'onRequest' | 'onHealth' | 'onCleanup';

/** Lifecycle of one loaded installation. */
export type InstanceState = 'loading' | 'ready' | 'failed' | 'stopping' | 'stopped';

/** Everything needed to run one installation. The caller (installation module) resolves all of it. */
export interface LoadSpec {
  installationId: string;
  pluginKey: string;
  version: string;
  manifest: PluginManifest;
  /** Text of the runner file (`manifest.runtime.entry`); ignored for remote plugins. */
  code?: string;
  /** Non-secret settings values. */
  config?: Record<string, unknown>;
  /** Decrypted secret settings; handed to the sandbox only with `secrets:read`. */
  secrets?: Record<string, unknown>;
  /**
   * Granted permissions, capabilities and custom scopes; anything not also requested by the manifest is ignored.
   * Custom scopes are only recorded and shown to the plugin (`context.grants`): the host enforces none.
   */
  grants: PermissionEntry[];
  /**
   * Limits the installation was granted (by its owner or an admin), each capped by the platform maximum. What is
   * not granted gets the platform default, or the manifest's own ask when that is lower (see resolveLimits).
   */
  limits?: PluginLimits;
  /** Storage quota in bytes granted to the installation (capped by the platform maximum; default 1 MiB). */
  storageQuotaBytes?: number;
  /** Remote plugins: the shared HMAC secret used to sign requests. */
  remoteSecret?: string;
}

export interface ResolvedLimits {
  memory_mb: number;
  timeout_ms: number;
  max_pending: number;
  storage_quota_bytes: number;
}

/** The platform's side of the limits: what applies when nothing is granted, and the most that may be granted. */
export interface PlatformLimits {
  defaults: ResolvedLimits;
  max: ResolvedLimits;
}

/** What `reconfigure` may change on a live instance. Grants and limits replace the previous ones. */
export interface ReconfigureChanges {
  config?: Record<string, unknown>;
  secrets?: Record<string, unknown>;
  grants?: PermissionEntry[];
  limits?: PluginLimits;
  storageQuotaBytes?: number;
}

export interface HookCallEvent {
  installationId: string;
  pluginKey: string;
  version: string;
  hook: HookName;
  outcome: HookOutcome;
  /** Wall-clock milliseconds as seen by the caller, including the hop to the worker or remote. */
  durationMs: number;
  /** QuickJS heap in use, as last measured (sandbox plugins only). */
  memoryBytes?: number;
  /** CPU milliseconds the sandbox used while the call was active (sandbox plugins only). */
  cpuMs?: number;
  error?: { code: string; message: string; reason?: string };
  /** The API request the call was made for (RuntimeOptions.requestIdOf when the call started). */
  requestId?: string;
  at: Date;
}

export interface PluginLogEvent {
  installationId: string;
  pluginKey: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
  /** `plugin` for lines the plugin wrote, `runtime` for lines the runtime writes about it. */
  source: 'plugin' | 'runtime';
  /**
   * The API request of the call that wrote the line: set when the line was written while that call's hook was
   * entered or while it was the installation's only call in flight.
   */
  requestId?: string;
  at: Date;
}

export interface StateChangeEvent {
  installationId: string;
  pluginKey: string;
  from: InstanceState | null;
  to: InstanceState;
  reason?: string;
  at: Date;
}

/**
 * The one listener the metrics, logs and health modules hang off. Called synchronously on the main thread; keep
 * handlers cheap (buffer and write in batches). A throwing observer is ignored.
 */
export interface RuntimeObserver {
  onCall?(event: HookCallEvent): void;
  onLog?(event: PluginLogEvent): void;
  onStateChange?(event: StateChangeEvent): void;
}

/** The messaging module's side: where emitted events and plugin-to-plugin messages go. */
export interface RuntimeBridge {
  emitEvent(installationId: string, event: { type: string; data: unknown }): void | Promise<void>;
  /** Resolves with the target's reply; should reject after `timeoutMs`. */
  sendMessage(
    fromInstallationId: string,
    targetKey: string,
    type: string,
    data: unknown,
    timeoutMs: number,
  ): Promise<unknown>;
}

export interface RuntimeOptions {
  observer?: RuntimeObserver;
  /**
   * The API request the code calling a hook runs for, read when the call starts (an AsyncLocalStorage in the
   * app); carried on the call's HookCallEvent and on the log lines it writes.
   */
  requestIdOf?: () => string | undefined;
  /** Backs `context.storage`; without it storage calls fail with an error inside the plugin. */
  storage?: PluginStorage;
  /** Without it `events.emit` is a no-op on the host side and `messages.send` fails. */
  bridge?: RuntimeBridge;
  /** Worker threads hosting sandboxes (default: available cores, between 2 and 4). */
  workers?: number;
  /** Crash policy: this many failed calls within `crashWindowMs` mark the instance failed (default 5 in 60 s). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /**
   * A worker whose running sandbox is this far past its deadline is terminated (default 2000 ms). The deadline is
   * the one the worker set when it started running that sandbox's code, so calls waiting in its queue never count.
   */
  watchdogGraceMs?: number;
  /**
   * How long a worker keeps looking for its next message after handling one before its thread sleeps, in
   * microseconds (default 50; 0 never). An idle vCPU halts at once, and waking it costs more than a round trip's own
   * work: on an idle 2-core machine this took a sequential round trip from 0.12 to 0.05 ms p50. It is spent only
   * after a message, so an idle worker costs nothing; sparse calls pay up to this much worker CPU each.
   */
  workerSpinMicros?: number;
  /** Limits applied when an installation is granted none, and the most it may be granted (default: the SDK's). */
  limits?: { defaults?: Partial<ResolvedLimits>; max?: Partial<ResolvedLimits> };
  /**
   * CPU per installation: `budgetMs` per `windowMs` (default 5000 per 10 000, and never less than its timeout),
   * and `backgroundSliceMs` (default 20) for promise jobs and host-call results that run while no call is active.
   */
  cpu?: Partial<CpuBudget>;
  /** Largest reply, host-call argument, event or log fields a sandbox may hand over (default 1 MiB, depth 64). */
  payload?: Partial<PayloadBounds>;
  /** What an onRequest answer may be (default: 1 MiB body, 32 headers, 8 KiB of headers). */
  responses?: Partial<ResponseBounds>;
  /** Resolves names for `context.http.fetch` (default: the system resolver). */
  resolveHost?: HostResolver;
  /** CIDRs that fetch may reach through a granted name although they are private (default: none). */
  privateNetworks?: string[];
  /** Remote plugins: attempts per call for retryable failures (default 3) and first backoff (default 100 ms). */
  remoteRetries?: number;
  remoteBackoffMs?: number;
  /** Replaces global fetch for remote plugins (tests). Sandbox fetches use their own pinned connections. */
  fetch?: typeof fetch;
}

export interface HealthReport {
  installationId: string;
  status: 'healthy' | 'degraded' | 'unhealthy';
  state: InstanceState;
  checks: HealthCheck[];
  uptimeSeconds: number;
  /** Response time of the onHealth call. */
  responseTimeMs?: number;
  memoryBytes?: number;
  lastError?: string;
}

export interface InstanceStatus {
  installationId: string;
  pluginKey: string;
  version: string;
  kind: 'sandbox' | 'remote';
  state: InstanceState;
  reason?: string;
  /** The worker thread hosting the sandbox (diagnostics; changes when a worker is replaced). */
  workerId?: number;
  startedAt?: Date;
  pending: number;
  calls: number;
  errors: number;
  /** Failures counted in the current crash window. */
  recentFailures: number;
  memoryBytes?: number;
  /** CPU milliseconds its sandbox used since it was loaded, calls and background work together. */
  cpuMs: number;
  /** Set while the installation runs in a worker of its own because it caused a worker loss. */
  quarantine?: { reason: string; since: Date };
  lastError?: string;
  limits: ResolvedLimits;
  /** What `onInit` returned (JSON, at most 64 KiB as text), e.g. seed 002's `{ status: 'success' }`. */
  initResult?: unknown;
  /** The effective grants as the plugin sees them in `context.grants`: capability ids and custom scopes. */
  grants: string[];
}

/** Per-call options of `process` and `request`. */
export interface CallOptions {
  /** At most the installation's `timeout_ms` (the default). */
  timeoutMs?: number;
}

/**
 * A call to one of the plugin's endpoints, as the HTTP layer hands it over. The runtime matches `method` and
 * `path` against the manifest's `endpoints` itself (and fills in `params`), removes the caller's credentials and
 * hop-by-hop headers, and normalises the rest.
 */
export interface RequestInput {
  method: string;
  /** Below `/api/plugins/{plugin}/endpoints/`, as requested (percent-encoded). */
  path: string;
  query?: Record<string, string | string[] | undefined>;
  headers?: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or the body's text; undefined for none. */
  body?: unknown;
  user?: PluginRequestUser | null;
}

/** onRequest's answer, checked: pass it through as it is (`body` as JSON, or as text when it is a string). */
export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What `stop` resolves with: onCleanup's return value (JSON, at most 64 KiB), or why it failed. */
export interface StopResult {
  cleanupResult?: unknown;
  cleanupError?: { code: string; message: string; reason?: string };
}

/** The sandbox worker threads, for health and metrics. */
export interface WorkerPoolStatus {
  /** Threads alive, shared and dedicated (a quarantined installation has one of its own). */
  alive: number;
  dedicated: number;
  /** How many shared threads the pool may start (they start with the first load, or `warmUp`). */
  max: number;
}

/** A message as handed to `PluginRuntime.message`; id and sent_at are filled in when missing. */
export interface MessageInput {
  id?: string;
  type: string;
  data?: unknown;
  from?: string | null;
  sent_at?: string;
}

export type EventInput = Omit<PluginEvent, 'id' | 'emitted_at' | 'source'> & Partial<PluginEvent>;
