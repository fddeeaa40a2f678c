import type { HealthCheck, Permission, PluginEvent, PluginLimits, PluginManifest } from '@app/plugin-sdk';
import type { HookOutcome } from './sandbox/protocol.js';
import type { PluginStorage } from './storage/plugin-storage.js';

export type { HookOutcome } from './sandbox/protocol.js';

export type HookName = 'onInit' | 'onMessage' | 'onEvent' | 'onHealth' | 'onCleanup';

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
  /** Granted permissions; anything not also requested by the manifest is ignored. */
  grants: Permission[];
  /** Per-installation overrides; each is capped by the manifest's value and MAX_LIMITS. */
  limits?: PluginLimits;
  /** Storage quota in bytes (default 1 MiB). */
  storageQuotaBytes?: number;
  /** Remote plugins: the shared HMAC secret used to sign requests. */
  remoteSecret?: string;
}

export interface ResolvedLimits {
  memory_mb: number;
  timeout_ms: number;
  max_pending: number;
}

export interface HookCallEvent {
  installationId: string;
  pluginKey: string;
  version: string;
  hook: HookName;
  outcome: HookOutcome;
  /** Wall-clock milliseconds as seen by the caller, including the hop to the worker or remote. */
  durationMs: number;
  /** QuickJS heap in use after the call (sandbox plugins only). */
  memoryBytes?: number;
  error?: { code: string; message: string };
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
  /** Backs `context.storage`; without it storage calls fail with an error inside the plugin. */
  storage?: PluginStorage;
  /** Without it `events.emit` is a no-op on the host side and `messages.send` fails. */
  bridge?: RuntimeBridge;
  /** Worker threads hosting sandboxes (default: available cores, between 2 and 4). */
  workers?: number;
  /** Crash policy: this many failed calls within `crashWindowMs` mark the instance failed (default 5 in 60 s). */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Grace added to `timeout_ms` before a non-answering worker is terminated (default 2000 ms). */
  watchdogGraceMs?: number;
  /** Remote plugins: attempts per call for retryable failures (default 3) and first backoff (default 100 ms). */
  remoteRetries?: number;
  remoteBackoffMs?: number;
  /** Replaces global fetch for `http.fetch` and remote plugins (tests). */
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
  lastError?: string;
  limits: ResolvedLimits;
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
