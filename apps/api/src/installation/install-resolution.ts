import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import type { Permission } from '@app/plugin-sdk';
import { PluginVersionsService } from '../registry/plugin-versions.service.js';
import { isKilled } from '../registry/plugin-visibility.js';
import type { InstallablePlugin, PluginVersion } from '../registry/registry.entity.js';
import {
  type Resolution,
  resolveDependencies,
  type ResolvedPlan,
  type ResolverSource,
  type SourcePlugin,
} from './dependency-resolver.js';
import type { Installation, InstallationTarget } from './installation.entity.js';
import {
  DependencyCycleError,
  DependencyIncompatibleError,
  DependencyNotFoundError,
  DependencyTooComplexError,
  DependencyUnsatisfiableError,
  NoMatchingVersionError,
  PlatformIncompatibleError,
  PluginKilledError,
  UnknownPluginError,
} from './installation.errors.js';
import { PLATFORM_VERSION } from './installation.ports.js';
import { InstallationRepository } from './persistence/installation.repository.js';

/** A resolved install: the plan, what the registry showed the caller, and what the target has installed. */
export interface ResolvedInstall {
  plan: ResolvedPlan;
  /** The plugins the resolver looked at, as the caller may install them. */
  plugins: Map<string, InstallablePlugin>;
  installed: Installation[];
}

const manifestOf = (v: PluginVersion) =>
  v.manifest as {
    engines?: { plughub?: string };
    dependencies?: Record<string, string>;
    permissions?: Permission[];
  };

/**
 * Resolution for an install: the dependency resolver (dependency-resolver.ts, the one set of rules) run over the
 * versions the registry lets the caller install and what the target already has installed, its failures mapped
 * to the error catalogue. Versions of killed plugins are never installed or upgraded to.
 */
@Injectable()
export class InstallResolution {
  constructor(
    private readonly versions: PluginVersionsService,
    private readonly installations: InstallationRepository,
    @Inject(PLATFORM_VERSION) private readonly platform: string,
  ) {}

  /** `approvedOnly`: only approved versions, even for the plugin's managers (what the platform installs alone). */
  async resolve(
    caller: AuthUser,
    key: string,
    spec: string,
    target: InstallationTarget,
    options: { approvedOnly?: boolean } = {},
  ): Promise<ResolvedInstall> {
    const installed = (await this.installations.listInTarget(target)).filter((i) => i.status !== 'uninstalling');
    const plugins = new Map<string, InstallablePlugin>();
    const source: ResolverSource = {
      load: async (keys) => {
        const found = await this.versions.installables(caller, keys);
        const answer = new Map<string, SourcePlugin | null>();
        for (const k of keys) {
          const plugin = found.get(k);
          if (plugin) plugins.set(k, plugin);
          answer.set(k, plugin ? sourcePlugin(plugin) : null);
        }
        return answer;
      },
    };
    const resolution = await resolveDependencies({
      key,
      spec,
      platform: this.platform,
      installed: installed.map((i) => ({
        key: i.pluginKey,
        version: i.installedVersion,
        dependencies: i.dependencies,
        capabilities: i.requested,
      })),
      source,
      installable: (status, k) =>
        status === 'approved' ||
        (!options.approvedOnly && plugins.get(k)?.manages === true && (status === 'pending' || status === 'draft')),
    });
    const plan = planOrThrow(resolution);
    for (const step of plan.steps) {
      if (step.action === 'keep' && step.key !== key) continue;
      const killed = plugins.get(step.key)?.plugin;
      if (killed && isKilled(killed, step.to)) throw new PluginKilledError(step.key, killed.killedReason);
    }
    return { plan, plugins, installed };
  }
}

function sourcePlugin(p: InstallablePlugin): SourcePlugin {
  return {
    versions: p.versions.map((v) => {
      const m = manifestOf(v);
      return {
        version: v.version,
        status: v.status,
        yanked: v.yanked,
        deprecated: v.deprecated,
        engines: m.engines?.plughub ?? null,
        dependencies: m.dependencies ?? {},
        capabilities: m.permissions ?? [],
      };
    }),
    distTags: p.distTags,
  };
}

/** The plan, or the catalogue error its failure maps to. */
export function planOrThrow(resolution: Resolution): ResolvedPlan {
  switch (resolution.kind) {
    case 'plan':
      return resolution;
    case 'not_found':
      if (resolution.reason === 'unknown_plugin') throw new UnknownPluginError(resolution.key);
      throw new NoMatchingVersionError(resolution.key, resolution.spec);
    case 'incompatible':
      throw new PlatformIncompatibleError(resolution.key, resolution.spec, resolution.platform, resolution.versions);
    case 'dependency': {
      const { key, spec, conflicts } = resolution;
      switch (resolution.reason) {
        case 'unsatisfiable':
          throw new DependencyUnsatisfiableError(key, spec, conflicts);
        case 'cycle':
          throw new DependencyCycleError(key, spec, conflicts);
        case 'not_found':
          throw new DependencyNotFoundError(key, spec, conflicts);
        case 'no_compatible_version':
          throw new DependencyIncompatibleError(key, spec, conflicts);
        case 'too_complex':
          throw new DependencyTooComplexError(key, spec, conflicts);
      }
    }
  }
}
