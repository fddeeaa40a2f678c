import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import {
  OWNER_TYPES,
  type OwnerType,
  type Plugin,
  PLUGIN_SCOPES,
  PLUGIN_SOURCES,
  type PluginScope,
  type PluginSource,
  type PluginVersion,
  VERSION_STATUSES,
  type VersionStatus,
} from '../registry.entity.js';
import { type EndpointDeclaration, HTTP_METHODS, type HttpMethod } from '@app/plugin-sdk';
import type { InstallationState } from '../registry.ports.js';
import { pluginManifestRef } from '../../openapi/plugin-manifest.component.js';
import { PluginVersionResponseDto } from './plugin-version.dto.js';
import {
  ApiDate,
  ApiInt,
  ApiNullableDate,
  ApiNullableString,
  ReadOnlyDate,
  ReadOnlyField,
  ReadOnlyNullableString,
} from '@app/common';

const MIXIN_NAMES: Record<string, string> = {
  settings: 'Settings',
  events: 'Events',
  messaging: 'Messaging',
  storage: 'Key-value storage',
  http: 'External HTTP',
  remote: 'Remote runtime',
};

/** What the registry knows about a plugin's listing, its caller-specific installation state and its owner. */
export interface PluginView {
  plugin: Plugin;
  owner: { type: OwnerType; id: string | null; name: string };
  /** Installed for the caller, and active. */
  installed: boolean;
  active: boolean;
  installations: number;
}

/** What the detail adds to the listing. */
export interface PluginDetailExtras {
  /** The caller's installation, or null. */
  installation: InstallationState | null;
  manifest: Record<string, unknown> | null;
  versions: PluginVersion[];
  dependents: string[];
}

export class PluginOwnerDto {
  /** `user`, `org`, or `system` for the plugins shipped with the server. */
  @ApiProperty({ enum: OWNER_TYPES, enumName: 'OwnerType' })
  type: OwnerType;
  /** User id or organisation id; null for system plugins. */
  @ApiNullableString()
  id: string | null;
  /** User name, organisation slug, or `system`. */
  name: string;
}

export class PluginStatsDto {
  /** Artifact downloads, over all versions. */
  @ApiInt()
  downloads: number;
  /** Installations in every target. */
  @ApiInt()
  installations: number;
  /** Average rating (1-5, two decimals), 0 when unrated. */
  rating: number;
  /** Number of ratings. */
  @ApiInt()
  reviews: number;
}

export class DistTagsDto {
  /** The newest approved, non-yanked release. */
  @ApiNullableString()
  latest: string | null;
  /** The newest approved, non-yanked prerelease. */
  @ApiNullableString()
  next: string | null;
}

/** InvenTree's plugin meta block. */
export class PluginMetaDto {
  /** Author named in the manifest. */
  @ApiNullableString()
  author: string | null;
  /** Short description. */
  description: string;
  /** Display name. */
  human_name: string;
  /** Licence named in the manifest. */
  @ApiNullableString()
  license: string | null;
  /** When the newest version was published. */
  @ApiNullableDate()
  pub_date: string | null;
  /** The version the listing describes. */
  @ApiNullableString()
  version: string | null;
  /** Homepage URL. */
  @ApiNullableString()
  website: string | null;
}

/** One capability family the plugin uses, InvenTree style. */
export class PluginMixinDto {
  /** Mixin key. */
  key: string;
  /** Display name. */
  human_name: string;
}

/** A catalog entry: the InvenTree PluginConfig fields beside the store fields. */
@ApiExtraModels(PluginMixinDto)
export class PluginResponseDto {
  /** `publisher.name`, unique. */
  @ReadOnlyField()
  key: string;
  /** Display name. */
  name: string;
  /** What the plugin does. */
  description: string;
  /** Category. */
  @ApiNullableString()
  category: string | null;
  /** Tags. */
  tags: string[];
  /** Homepage URL. */
  @ApiNullableString()
  homepage: string | null;
  /** Source repository URL. */
  @ApiNullableString()
  repository: string | null;
  /** Path of the icon file inside the package. */
  @ApiNullableString()
  icon: string | null;
  /** Who owns it. */
  @ReadOnlyField()
  owner: PluginOwnerDto;
  /** Who may see it: private (owner), org (members of the owning organisation), public (everyone). */
  @ApiProperty({ enum: PLUGIN_SCOPES, enumName: 'PluginScope' })
  scope: PluginScope;
  /** `approved` once a version is approved, else the review status of the newest version. */
  @ApiProperty({ enum: VERSION_STATUSES, enumName: 'VersionStatus', readOnly: true })
  status: VersionStatus;
  /** Checked by the platform's reviewers. */
  @ReadOnlyField()
  verified: boolean;
  /** Disabled everywhere by an administrator. */
  @ReadOnlyField()
  killed: boolean;
  /** The `latest` dist-tag. */
  @ReadOnlyNullableString()
  latest_version: string | null;
  /** dist-tags. */
  @ReadOnlyField()
  dist_tags: DistTagsDto;
  /** Usage figures. */
  @ReadOnlyField()
  stats: PluginStatsDto;
  /** Where it comes from: `store` (published through the API) or `builtin` (shipped in plugins/). */
  @ApiProperty({ enum: PLUGIN_SOURCES, enumName: 'PluginSource', readOnly: true })
  source: PluginSource;
  /** Installed for you and active. */
  @ReadOnlyField()
  active: boolean;
  /** Shipped with the server and always registered. */
  @ReadOnlyField()
  is_builtin: boolean;
  /** A sample shipped with the server, registered when PLUGHUB_SAMPLES is on. */
  @ReadOnlyField()
  is_sample: boolean;
  /** Installed for you (by you, one of your organisations, or globally). */
  @ReadOnlyField()
  is_installed: boolean;
  /** Distributed as a registry package (false for the plugins shipped with the server). */
  @ReadOnlyField()
  is_package: boolean;
  /** Plugin metadata. */
  @ReadOnlyField()
  meta: PluginMetaDto;
  /** Capability families the plugin uses, by key. */
  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: getSchemaPath(PluginMixinDto) },
    readOnly: true,
  })
  mixins: Record<string, PluginMixinDto>;
  /** Registry package name (the key) for packages; null for shipped plugins. */
  @ReadOnlyNullableString()
  package_name: string | null;
  /** When it was first published. */
  @ReadOnlyDate()
  created_at: string;
  /** When it last changed. */
  @ReadOnlyDate()
  updated_at: string;

  static from(v: PluginView): PluginResponseDto {
    const p = v.plugin;
    const isPackage = p.source === 'store';
    return {
      key: p.key,
      name: p.name,
      description: p.description,
      category: p.category,
      tags: p.tags,
      homepage: p.homepage,
      repository: p.repository,
      icon: p.icon,
      owner: { type: v.owner.type, id: v.owner.id, name: v.owner.name },
      scope: p.scope,
      status: p.status,
      verified: p.verified,
      killed: p.killed,
      latest_version: p.distTags.latest,
      dist_tags: { latest: p.distTags.latest, next: p.distTags.next },
      stats: {
        downloads: p.stats.downloads,
        installations: v.installations,
        rating: p.stats.rating,
        reviews: p.stats.reviews,
      },
      source: p.source,
      active: v.active,
      is_builtin: p.isBuiltin,
      is_sample: p.isSample,
      is_installed: v.installed,
      is_package: isPackage,
      meta: {
        author: p.author,
        description: p.description,
        human_name: p.name,
        license: p.license,
        pub_date: p.lastPublishedAt ? p.lastPublishedAt.toISOString() : null,
        version: p.displayVersion,
        website: p.homepage,
      },
      mixins: Object.fromEntries(p.mixins.map((m) => [m, { key: m, human_name: MIXIN_NAMES[m] ?? m }])),
      package_name: isPackage ? p.key : null,
      created_at: p.createdAt.toISOString(),
      updated_at: p.updatedAt.toISOString(),
    };
  }
}

/** Your installation of the plugin. */
export class InstallationStateDto {
  /** The installed version. */
  installed_version: string;
  /** Installation status (installing, active, disabled, failed, killed, uninstalling). */
  status: string;
  /** Whether it runs. */
  active: boolean;
  /** The target it is installed into. */
  @ApiProperty({ enum: ['user', 'org', 'global'], enumName: 'InstallationScope' })
  scope: 'user' | 'org' | 'global';
}

/** One version in the detail's summary. */
export class PluginVersionSummaryDto {
  /** Semantic version. */
  version: string;
  /** Review status. */
  @ApiProperty({ enum: VERSION_STATUSES, enumName: 'VersionStatus' })
  status: VersionStatus;
  /** Deprecation message, or null. */
  @ApiNullableString()
  deprecated: string | null;
  /** Withdrawn: never chosen by a tag or a range, still downloadable by exact version. */
  yanked: boolean;
  /** When it was published. */
  @ApiDate()
  published_at: string;
}

/** An HTTP endpoint the plugin serves through its onRequest hook (Nexus's api_endpoints). */
export class PluginEndpointDto {
  /** Where it is called: `/api/plugins/{plugin}/endpoints/{route}`, with `:name` parameter segments. */
  @ReadOnlyField('/api/plugins/acme.auth/endpoints/users/:id')
  path: string;
  /** The route as the manifest declares it, relative to the plugin's endpoints. */
  @ReadOnlyField('users/:id')
  route: string;
  /** The methods it answers; others get 405. */
  @ApiProperty({ readOnly: true, enum: HTTP_METHODS, enumName: 'PluginEndpointMethod', isArray: true })
  methods: HttpMethod[];
  /** What it does, from the manifest. */
  @ReadOnlyField()
  description: string;
  /** Declared public: reachable without credentials once an admin allows it for an installation. */
  @ReadOnlyField()
  public: boolean;
}

const isEndpoint = (e: unknown): e is EndpointDeclaration =>
  typeof e === 'object' && e !== null && typeof (e as EndpointDeclaration).path === 'string';

/** The endpoints a (validated, stored) manifest declares, as the detail lists them. */
function endpointsOf(key: string, manifest: Record<string, unknown> | null): PluginEndpointDto[] {
  const declared = Array.isArray(manifest?.endpoints) ? (manifest.endpoints as unknown[]) : [];
  return declared.filter(isEndpoint).map((e) => ({
    path: `/api/plugins/${key}/endpoints/${e.path}`,
    route: e.path,
    methods: [...e.methods],
    description: e.description,
    public: e.public === true,
  }));
}

/** A plugin with its latest manifest, versions, dependents and your installation state. */
export class PluginDetailResponseDto extends PluginResponseDto {
  /** The manifest of the version the listing describes (null if you can see no version). */
  @ApiProperty({ allOf: [pluginManifestRef], nullable: true, readOnly: true })
  manifest: Record<string, unknown> | null;
  /** The versions you can see, newest first. */
  @ApiProperty({ readOnly: true, type: [PluginVersionSummaryDto] })
  versions: PluginVersionSummaryDto[];
  /** Keys of visible plugins whose latest manifest depends on this one. */
  @ReadOnlyField()
  dependents: string[];
  /** Your installation of it, or null. */
  @ApiProperty({ type: InstallationStateDto, nullable: true, readOnly: true })
  installation: InstallationStateDto | null;
  /** The HTTP endpoints its manifest declares (empty when it serves none). */
  @ApiProperty({ readOnly: true, type: [PluginEndpointDto] })
  api_endpoints: PluginEndpointDto[];

  static fromDetail(listing: PluginResponseDto, v: PluginDetailExtras): PluginDetailResponseDto {
    return {
      ...listing,
      is_installed: v.installation !== null,
      active: v.installation?.active ?? false,
      manifest: v.manifest,
      versions: v.versions.map((x) => ({
        version: x.version,
        status: x.status,
        deprecated: x.deprecated,
        yanked: x.yanked,
        published_at: x.publishedAt.toISOString(),
      })),
      dependents: v.dependents,
      installation: v.installation ? { ...v.installation } : null,
      api_endpoints: endpointsOf(listing.key, v.manifest),
    };
  }
}

/** What POST /api/plugins/ did. */
export class PublishResultResponseDto {
  /** True when the plugin itself was created (a new key), false when a version was added. */
  created: boolean;
  /** The plugin after publishing. */
  plugin: PluginResponseDto;
  /** The version just published. */
  version: PluginVersionResponseDto;
}
