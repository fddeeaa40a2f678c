import type {
  CustomScope,
  EndpointDeclaration,
  HookStep,
  Permission,
  PluginManifest,
  RuntimeSpec,
} from './manifest.types.js';
import type { HookName } from './plugin-api.types.js';
import { splitPermissions } from './permissions.js';

/** The hook each lifecycle step calls, and the function name it has when a manifest's `hooks` does not say. */
export const HOOK_OF_STEP: Readonly<Record<HookStep, HookName>> = Object.freeze({
  init: 'onInit',
  process: 'onProcess',
  message: 'onMessage',
  event: 'onEvent',
  health: 'onHealth',
  cleanup: 'onCleanup',
  request: 'onRequest',
});

/** What every consumer reads instead of the manifest's synonyms (see normalizeManifest). */
export interface NormalizedManifest {
  key: string;
  name: string;
  version: string;
  /** Resolved: `runtime` as given, or `{ type: 'sandbox', entry: main }`. */
  runtime: RuntimeSpec;
  /** The exported function serving each step: the manifest's `hooks`, else the hook's own name. */
  hooks: Readonly<Record<HookStep, string>>;
  /** `homepage`, or its synonym `website`. */
  homepage?: string;
  /** The requested permissions the host enforces. */
  capabilities: Permission[];
  /** The requested permissions it only records and shows (`context.grants`). */
  customScopes: CustomScope[];
  endpoints: EndpointDeclaration[];
  /** The manifest as given. */
  manifest: PluginManifest;
}

/**
 * Folds the manifest's synonyms and defaults into one shape: the runtime (from `main` when `runtime` is absent),
 * the function name per hook step, the homepage (from `website`), and the permissions split into capabilities and
 * custom scopes. Meant for validated manifests; one with neither `runtime` nor `main` throws a TypeError.
 */
export function normalizeManifest(manifest: PluginManifest): NormalizedManifest {
  const runtime: RuntimeSpec | undefined =
    manifest.runtime ?? (manifest.main === undefined ? undefined : { type: 'sandbox', entry: manifest.main });
  if (!runtime) throw new TypeError(`manifest ${manifest.key} has neither runtime nor main`);
  const given = manifest.hooks ?? {};
  const hooks = Object.fromEntries(
    (Object.keys(HOOK_OF_STEP) as HookStep[]).map((step) => [step, given[step] ?? HOOK_OF_STEP[step]]),
  ) as Record<HookStep, string>;
  const { capabilities, customScopes } = splitPermissions(manifest.permissions ?? []);
  const homepage = manifest.homepage ?? manifest.website;
  return {
    key: manifest.key,
    name: manifest.name,
    version: manifest.version,
    runtime,
    hooks: Object.freeze(hooks),
    ...(homepage === undefined ? {} : { homepage }),
    capabilities,
    customScopes,
    endpoints: manifest.endpoints ?? [],
    manifest,
  };
}
