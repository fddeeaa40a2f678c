import type { Capability } from './capabilities.js';
import type { CustomScope, HttpMethod } from './manifest.types.js';

/**
 * Types for plugin authors: what a runner file exports and what the sandbox hands to it. The runner is an ES
 * module (`export default` an object with hooks) or CommonJS (`module.exports = ...`, e.g. a class instance); a
 * manifest's `hooks` map may give the hooks other function names.
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

/** Who called a plugin endpoint, as the platform chooses to share it; `null` on a public endpoint without one. */
export interface PluginRequestUser {
  id: string;
  name?: string;
  roles?: string[];
}

/** What `onRequest` receives for a call to one of the manifest's `endpoints`. */
export interface PluginRequest {
  method: HttpMethod;
  /** The path below `/api/plugins/{plugin}/endpoints/`, as requested (no leading slash), e.g. `users/42`. */
  path: string;
  /** The `:param` segments of the matched endpoint, decoded. */
  params: Record<string, string>;
  /** Query string parameters; repeated ones as arrays. */
  query: Record<string, string | string[]>;
  /** Request headers, lower-case names; credentials (`authorization`, `cookie`) and hop-by-hop headers removed. */
  headers: Record<string, string>;
  /** The parsed JSON body, the text of any other body, or null. */
  body: unknown;
  user: PluginRequestUser | null;
}

/**
 * What `onRequest` returns. `status` defaults to 200; `body` is sent as JSON, a string as text (set
 * `content-type` to say otherwise). Header names come from an allow-list (no Set-Cookie, no hop-by-hop headers,
 * nothing the platform sets itself); sizes are bounded. Anything else fails the request (PLUGIN_ERROR).
 */
export interface PluginResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

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
  /**
   * What the installation was granted of what the manifest requested: capability ids (`http:external` without its
   * hosts) and custom scopes. Frozen; current after the platform changes the grants.
   */
  readonly grants: ReadonlyArray<Capability | CustomScope>;
  /** The installation's settings with `config:read` (secret keys only with `secrets:read`), `{}` without. Read-only. */
  readonly config: Readonly<Record<string, unknown>>;
  /** `log`. `console.*` is an alias (`console.log` is `info`) that does nothing without `log`. */
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

/** The shape of a runner's export. Every hook is optional and may be async. */
export interface PluginHooks {
  /** The return value (JSON, bounded) is kept and shown as the installation's init result. */
  onInit?(context: PluginContext): MaybePromise<unknown>;
  /** The return value (JSON) is the reply. Needs `messages:receive`. */
  onMessage?(message: PluginMessage, context: PluginContext): MaybePromise<unknown>;
  /** Needs `events:subscribe`. */
  onEvent?(event: PluginEvent, context: PluginContext): MaybePromise<void>;
  /** Execute (seed 002): the return value (JSON) is the result. Needs `process:data` or `messages:receive`. */
  onProcess?(data: unknown, context: PluginContext): MaybePromise<unknown>;
  /** A call to one of the manifest's `endpoints`. Needs `endpoints:serve`. */
  onRequest?(request: PluginRequest, context: PluginContext): MaybePromise<PluginResponse>;
  onHealth?(context: PluginContext): MaybePromise<HealthResult>;
  /** The return value (JSON, bounded) is handed back to whoever stopped the installation. */
  onCleanup?(context: PluginContext): MaybePromise<unknown>;
}

export type HookName = keyof PluginHooks;
export const HOOK_NAMES: readonly HookName[] = [
  'onInit',
  'onMessage',
  'onEvent',
  'onProcess',
  'onRequest',
  'onHealth',
  'onCleanup',
];
