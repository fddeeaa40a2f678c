import { ApiExtraModels, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { BodyExamples, BodyInt, NestedObject, OptionalEnumField, OrgRefField } from '@app/common';
import { type Permission, PLUGIN_KEY_PATTERN } from '@app/plugin-sdk';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import type { TargetScope } from '../../auth/auth.entity.js';
import { EXAMPLE_MANIFEST, PluginPackageDto } from '../../registry/dto/publish-plugin.dto.js';
import { INTEGRITY_PATTERN } from '../package-fetch.js';
import { GRANT_SCHEMA, HttpExternalGrantDto, IsGrantList } from './grant.dto.js';
import { TargetScopeField } from './installation-query.dto.js';

export const INSTALL_SOURCES = ['store', 'upload', 'url'] as const;
export type InstallSource = (typeof INSTALL_SOURCES)[number];

const isPlainObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const PLUGIN_KEY = new RegExp(PLUGIN_KEY_PATTERN);

/** Plugin key → an object of setting values, for at most 50 plugins. */
function IsDependencyConfig() {
  return ValidateBy({
    name: 'isDependencyConfig',
    validator: {
      validate: (v: unknown) =>
        isPlainObject(v) &&
        Object.keys(v as object).length <= 50 &&
        Object.entries(v as Record<string, unknown>).every(
          ([k, c]) => k.length <= 100 && PLUGIN_KEY.test(k) && isPlainObject(c),
        ),
      defaultMessage: () => 'must map plugin keys (publisher.name) to objects of setting values',
    },
  });
}

/** `source: upload`: the package, as POST /api/plugins/ takes it. */
export class InstallPackageDto extends PluginPackageDto {
  @ApiProperty({
    description:
      'The plugin manifest (the plugin-sdk JSON Schema). Its `key` must be the plugin in the path; without one ' +
      "(seed 002's format) it gets that key.",
  })
  override manifest: Record<string, unknown>;
}

/**
 * Installs a plugin, with its dependencies, into your own target, an organisation's or the instance's. Every
 * field is optional: `{}` installs the latest version from the store, grants everything it requests and starts it.
 */
@BodyExamples({
  dry_run: { summary: 'Only show the plan for the latest version', value: { version: 'latest', dry_run: true } },
  install: { summary: 'The latest version, started, with every capability it requests', value: {} },
  upload: {
    summary: 'Publish a private package and install it in one call',
    value: {
      source: 'upload',
      package: {
        manifest: {
          ...EXAMPLE_MANIFEST,
          permissions: ['log', 'messages:receive'],
          runtime: { type: 'sandbox', entry: 'runner.js' },
        },
        files: { runner: 'export default { onMessage(m) { return { text: `Hello, ${m.data ?? "world"}!` }; } };\n' },
      },
    },
  },
  url: {
    summary: 'Fetch a package from an allowed origin and install it',
    value: {
      source: 'url',
      url: 'https://plugins.example.com/ada.hello-world-1.0.0.tgz',
      integrity: 'sha512-' + 'A'.repeat(86) + '==',
    },
  },
})
@ApiExtraModels(HttpExternalGrantDto, InstallPackageDto)
export class InstallPluginDto {
  /** A dist-tag (`latest`, `next`), an exact version or a semver range; default `latest`. */
  @ApiPropertyOptional({ example: '^1.0.0', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  version?: string;

  /** The target's scope, as the `scope` query parameter (either may be used; they must agree). */
  @TargetScopeField()
  scope?: TargetScope;

  /** The organisation (slug or id), as the `org` query parameter; implies scope=org. */
  @OrgRefField()
  org?: string;

  /**
   * Where the package comes from: `store` (the registry, the default); `upload` (the `package` in this body,
   * published as a private version of the plugin, then installed); `url` (fetched from `url`, whose origin must be
   * in PLUGHUB_INSTALL_URL_ALLOWLIST, checked against `integrity`, then published and installed like an upload).
   */
  @OptionalEnumField(INSTALL_SOURCES, 'InstallSource')
  source?: InstallSource;

  /** With `source: upload`: the manifest and files to publish and install. */
  @ApiPropertyOptional({ type: InstallPackageDto })
  @IsOptional()
  @NestedObject(() => InstallPackageDto)
  package?: InstallPackageDto;

  /**
   * With `source: url`: where to fetch the package (a gzipped tar as GET …/versions/{version}/download/ serves).
   * https only (http only from a listed loopback origin); no redirects are followed; at most the upload limit.
   */
  @ApiPropertyOptional({ format: 'uri', maxLength: 2000, example: 'https://plugins.example.com/ada.hello-1.0.0.tgz' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  url?: string;

  /** With `source: url`: the package's Subresource Integrity (`sha512-…`, as the registry's `integrity`). */
  @ApiPropertyOptional({ pattern: INTEGRITY_PATTERN, maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(new RegExp(INTEGRITY_PATTERN), { message: 'must be sha256-, sha384- or sha512- and a base64 digest' })
  integrity?: string;

  /** Setting values, checked against the manifest's settings; secret ones are stored encrypted and never shown. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { greeting: 'Ahoy' } })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  /** Setting values for dependencies this install adds, by plugin key. */
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'object', additionalProperties: true },
    example: { 'plughub.counter': { admin_token: 'change-me' } },
  })
  @IsOptional()
  @IsDependencyConfig()
  dependency_config?: Record<string, Record<string, unknown>>;

  /** The capabilities you grant (each must be requested by the manifest); omitted, everything it requests. */
  @ApiPropertyOptional({ type: 'array', items: GRANT_SCHEMA, maxItems: 20, example: ['log', 'config:read'] })
  @IsOptional()
  @IsGrantList()
  grants?: Permission[];

  /** Start it (and the dependencies it adds) after installing; default true. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  auto_enable?: boolean;

  /** Install newer compatible versions (same major) when they are approved; default false. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  auto_update?: boolean;

  /** Install again although it is installed here (same or another version; settings are kept unless given). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  force_reinstall?: boolean;

  /** Only resolve: answer the plan (each plugin, from/to version, action, capabilities) and change nothing. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  dry_run?: boolean;
}

/** POST /api/org/plugins/{plugin}/enable/: installs it for the organisation if needed, and starts it. */
@BodyExamples({
  enable: {
    summary: 'Enable it for the organisation',
    value: { version: 'latest', reason: 'Used by the support team' },
  },
})
@ApiExtraModels(HttpExternalGrantDto)
export class OrgEnablePluginDto {
  /** For a new installation: a dist-tag, an exact version or a semver range; default `latest`. */
  @ApiPropertyOptional({ example: 'latest', maxLength: 100 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  version?: string;

  /** For a new installation: setting values. */
  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  config?: Record<string, unknown>;

  /** For a new installation: the capabilities you grant; omitted, everything it requests. */
  @ApiPropertyOptional({ type: 'array', items: GRANT_SCHEMA, maxItems: 20 })
  @IsOptional()
  @IsGrantList()
  grants?: Permission[];

  /** Why it is enabled (kept as its status reason). */
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** PUT/PATCH …/activate/ (InvenTree). */
@BodyExamples({ activate: { summary: 'Activate it', value: { active: true } } })
export class ActivatePluginDto {
  /** Activate (true, the default) or deactivate (false). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  active?: boolean;
}

/** PUT/PATCH …/uninstall/ (InvenTree). */
@BodyExamples({
  keep: { summary: 'Uninstall, keeping settings and storage', value: { delete_config: false } },
})
export class UninstallPluginDto {
  /** Remove settings and plugin storage too (default true); false keeps them for a later install here. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  delete_config?: boolean;

  /** Uninstall although installed plugins of the same target depend on it (default false). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  force?: boolean;
}

/** POST …/enable/. */
@BodyExamples({ enable: { summary: 'Enable it again', value: { reason: 'Maintenance is over' } } })
export class EnablePluginDto {
  /** Why it is enabled (kept as its status reason). */
  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** POST …/disable/ (Nexus). */
@BodyExamples({
  disable: {
    summary: 'Disable it gracefully',
    value: { reason: 'Maintenance', graceful_shutdown: true, timeout_seconds: 30 },
  },
})
export class DisablePluginDto {
  /** Why it is disabled (kept as its status reason). */
  @ApiPropertyOptional({ maxLength: 500, example: 'Maintenance' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  /** Wait for the plugin's onCleanup before answering (default true). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  graceful_shutdown?: boolean;

  @BodyInt({
    min: 0,
    max: 300,
    optional: true,
    description: "The longest to wait for onCleanup, in seconds (the plugin's own time limit bounds it anyway).",
  })
  timeout_seconds?: number;
}

/** POST …/restart/ (Nexus). */
@BodyExamples({ restart: { summary: 'Restart it', value: { reason: 'Configuration change' } } })
export class RestartPluginDto {
  /** Why it is restarted. */
  @ApiPropertyOptional({ maxLength: 500, example: 'Configuration change' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** POST /api/plugins/reload/ (InvenTree). */
@BodyExamples({ reload: { summary: 'Start what should run, stop what should not', value: {} } })
export class ReloadPluginsDto {
  /** Register the plugins shipped in plugins/ again first (new versions of builtins and samples). */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  collect_plugins?: boolean;

  /** Also restart installations that run another version than the stored one. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  force_reload?: boolean;

  /** Restart every installation that should run, running ones included. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsBoolean()
  full_reload?: boolean;
}
