/**
 * Types for plugin authors: what a runner file exports and what the sandbox hands to it. The runner is evaluated
 * as an ES module in QuickJS and must `export default` an object with any of the hooks below.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A request/response message addressed to the plugin (from a user through the API, or from another plugin). */
export interface PluginMessage<T = unknown> {
  id: string;
  /** Application-defined, e.g. `greet` or `data_request`. */
  type: string;
  data: T;
  /** Plugin key of the sender, or `null` when sent through the HTTP API by a user. */
  from: string | null;
  /** ISO 8601. */
  sent_at: string;
}

/** A fire-and-forget event delivered to subscribers (`events.subscribes` in the manifest). */
export interface PluginEvent<T = unknown> {
  id: string;
  type: string;
  data: T;
  /** Plugin key of the emitter, or `null` for platform events. */
  source: string | null;
  /** ISO 8601. */
  emitted_at: string;
}

export type HealthStatus = 'pass' | 'warn' | 'fail';

export interface HealthCheck {
  name: string;
  status: HealthStatus;
  details?: string;
  value?: number;
  threshold?: number;
  unit?: string;
  response_time_ms?: number;
}

/** What `onHealth()` returns: a list of checks, or an object with one. Returning nothing counts as one `pass`. */
export type HealthResult = HealthCheck[] | { checks: HealthCheck[] } | void;

export interface FetchInit {
  method?: string;
  headers?: Record<string, string>;
  /** Request body; objects are sent as JSON with `content-type: application/json`. */
  body?: string | Record<string, unknown> | unknown[];
}

export interface FetchResponse {
  status: number;
  ok: boolean;
  headers: Record<string, string>;
  /** The response body as text (at most 1 MiB). */
  body: string;
  json<T = unknown>(): T;
}

/**
 * The host API the sandbox sees, passed to `onInit(context)` and as the last argument of every hook. Members are
 * always present; using one whose capability was not granted throws `PermissionDenied: <capability> not granted`.
 */
export interface PluginContext {
  installationId: string;
  plugin: { key: string; version: string };
  /** The installation's settings (`config:read`); secret keys only appear with `secrets:read`. Read-only. */
  readonly config: Readonly<Record<string, unknown>>;
  /** `log`. `console.*` is an alias (`console.log` is `info`). */
  log: Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;
  /** `events:emit`. Types must be listed in the manifest's `events.emits` when that list is present. */
  events: { emit(type: string, data?: unknown): void };
  /** `messages:send`. Resolves with the target's `onMessage` reply; `timeout` in ms (default and cap: the call budget). */
  messages: {
    send<R = unknown>(target: string, type: string, data?: unknown, options?: { timeout?: number }): Promise<R>;
  };
  /** `storage:read` (get, list) and `storage:write` (set, delete). Values are JSON; the quota counts key + JSON bytes. */
  storage: {
    get<T = unknown>(key: string): Promise<T | undefined>;
    set(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<boolean>;
    list(prefix?: string): Promise<string[]>;
  };
  /** `http:external`, to the granted hosts only; redirects are not followed. */
  http: { fetch(url: string, init?: FetchInit): Promise<FetchResponse> };
}

type MaybePromise<T> = T | Promise<T>;

/** The shape of a runner's default export. Every hook is optional and may be async. */
export interface PluginHooks {
  onInit?(context: PluginContext): MaybePromise<void>;
  /** The return value (JSON) is the reply. Needs `messages:receive`. */
  onMessage?(message: PluginMessage, context: PluginContext): MaybePromise<unknown>;
  /** Needs `events:subscribe`. */
  onEvent?(event: PluginEvent, context: PluginContext): MaybePromise<void>;
  onHealth?(context: PluginContext): MaybePromise<HealthResult>;
  onCleanup?(context: PluginContext): MaybePromise<void>;
}

export type HookName = keyof PluginHooks;
export const HOOK_NAMES: readonly HookName[] = ['onInit', 'onMessage', 'onEvent', 'onHealth', 'onCleanup'];
