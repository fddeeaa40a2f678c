import type { Capability } from './capabilities.js';

/** `http:external` with the hosts it may reach; the only capability written as an object. */
export interface HttpExternalPermission {
  capability: 'http:external';
  hosts: string[];
}

/**
 * One requested (or granted) permission: a capability string, or the object form for capabilities that carry
 * parameters. `"http:external"` as a bare string is invalid because a host list is mandatory.
 */
export type Permission = Exclude<Capability, 'http:external'> | HttpExternalPermission;

/**
 * A permission outside the capability catalogue, written `resource:action` (`read:data`, `users:read`, `auth:*`;
 * see CUSTOM_SCOPE_PATTERN). It is requested, granted or denied per installation like a capability and the plugin
 * sees it in `context.grants`, but nothing in the host enforces it: honouring it is up to the plugin and whoever
 * talks to it. Use `isCapability` / `splitPermissions` to tell the two apart (the type alone cannot: `config:read`
 * has the same shape).
 */
export type CustomScope = `${string}:${string}`;

/** One entry of a manifest's `permissions` or of an installation's grants: a capability or a custom scope. */
export type PermissionEntry = Permission | CustomScope;

/** The lifecycle steps a manifest's `hooks` map names functions for (seed 002's format). */
export const HOOK_STEPS = ['init', 'process', 'message', 'event', 'health', 'cleanup', 'request'] as const;
export type HookStep = (typeof HOOK_STEPS)[number];

/** The methods an endpoint may serve. HEAD and OPTIONS are the HTTP layer's to answer. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * An HTTP route the plugin serves through `onRequest`, under `/api/plugins/{plugin}/endpoints/`. `path` is relative
 * (no leading slash): static segments and `:param` segments, e.g. `users/:id/avatar`.
 */
export interface EndpointDeclaration {
  path: string;
  methods: HttpMethod[];
  description: string;
  /** Reachable without credentials, once an admin has allowed public endpoints for the installation. */
  public?: boolean;
}

export type SettingType = 'string' | 'integer' | 'number' | 'boolean' | 'choice' | 'json';

/** One allowed value of a `choice` setting with the label a UI shows for it. */
export interface SettingChoice {
  value: string | number;
  display_name: string;
}

export interface SettingDefinition {
  type: SettingType;
  /** Human label; defaults to the key. */
  name?: string;
  description?: string;
  default?: unknown;
  /** Inclusive bounds for integer and number settings. */
  min?: number;
  max?: number;
  /** The allowed values of a `choice` setting: plain values, or `{value, display_name}` (see choiceValues). */
  choices?: Array<string | number | SettingChoice>;
  /** For string settings: a regular expression (JavaScript, `u` flag) the whole value must match. */
  pattern?: string;
  required?: boolean;
  /** Encrypted at rest, write-only through the API, visible to the plugin only with `secrets:read`. */
  secret?: boolean;
  /** Display unit, e.g. "seconds". */
  units?: string;
  /** A change reaches the running plugin only at its next start (other settings are pushed to it at once). */
  restart_required?: boolean;
}

export interface EventDeclaration {
  /** Dotted event type, e.g. `user.login`; subscriptions may end in `*` (`user.*`). */
  type: string;
  description?: string;
}

export interface SandboxRuntime {
  type: 'sandbox';
  /** Path of the runner file inside the plugin package, e.g. `runner.js`. */
  entry: string;
}

export interface RemoteRuntime {
  type: 'remote';
  /** Base URL; hooks are POSTed to `<entry_point>/init`, `/message`, `/event`, `/health`, `/cleanup`. */
  entry_point: string;
}

export type RuntimeSpec = SandboxRuntime | RemoteRuntime;

/** Resource limits: asked for by a manifest, granted per installation, capped by the platform. */
export interface PluginLimits {
  /** QuickJS heap limit in MiB. */
  memory_mb?: number;
  /** Wall-clock budget of one hook call in milliseconds, including awaited host calls. */
  timeout_ms?: number;
  /** Maximum number of hook calls in flight at once; more are rejected with LIMIT_EXCEEDED. */
  max_pending?: number;
}

export interface PluginManifest {
  $schema?: string;
  /**
   * `publisher.name`, e.g. `plughub.hello`. A manifest may leave it out when the registry supplies it from the
   * publisher (`validateManifest(json, { publisher })`); a validated manifest always has it.
   */
  key: string;
  name: string;
  /** Semver of this plugin version. */
  version: string;
  description: string;
  author?: string;
  license?: string;
  homepage?: string;
  /** Synonym of `homepage` (seed 002's format); both given must agree. */
  website?: string;
  repository?: string;
  /** Path of an icon file inside the package, e.g. `icon.svg`. */
  icon?: string;
  category?: string;
  tags?: string[];
  engines?: { plughub?: string };
  /** Plugin key → semver range. */
  dependencies?: Record<string, string>;
  /** Requested capabilities and custom scopes. */
  permissions?: PermissionEntry[];
  events?: { emits?: EventDeclaration[]; subscribes?: EventDeclaration[] };
  settings?: Record<string, SettingDefinition>;
  /** How the plugin runs; a manifest with only `main` is a sandbox plugin whose entry is `main`. */
  runtime?: RuntimeSpec;
  /** Synonym of the sandbox runtime's `entry` (seed 002's format); with `runtime` too, both must agree. */
  main?: string;
  /** Lifecycle step → name of the exported function that serves it (sandbox only); unnamed steps use `onInit`, ... */
  hooks?: Partial<Record<HookStep, string>>;
  /** HTTP routes the plugin serves (needs `endpoints:serve`). */
  endpoints?: EndpointDeclaration[];
  limits?: PluginLimits;
}

export interface ManifestError {
  /** Dotted path of the offending value, e.g. `settings.batch_size.max` or `permissions.0`; `''` for the root. */
  path: string;
  message: string;
}

export type ManifestValidationResult =
  { valid: true; manifest: PluginManifest } | { valid: false; errors: ManifestError[] };

/**
 * What an installation runs with when it was granted no limits (the runtime's default platform defaults; a
 * platform may configure its own). A manifest's `limits` is a request: it can only make these lower.
 */
export const DEFAULT_LIMITS: Required<PluginLimits> = { memory_mb: 32, timeout_ms: 5_000, max_pending: 16 };

/**
 * The most a manifest may ask for and the runtime's default platform maximums: what an installation's owner or an
 * admin may grant. A platform may configure lower maximums.
 */
export const MAX_LIMITS: Required<PluginLimits> = { memory_mb: 512, timeout_ms: 300_000, max_pending: 1_000 };
