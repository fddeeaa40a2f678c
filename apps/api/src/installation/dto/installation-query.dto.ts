import { ApiPropertyOptional } from '@nestjs/swagger';
import { OptionalEnumField, OrgRefField, PaginationQueryDto, PatternField, QueryBoolean } from '@app/common';
import { PLUGIN_KEY_PATTERN } from '@app/plugin-sdk';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { TARGET_SCOPES, type TargetScope } from '../../auth/auth.entity.js';
import {
  INSTALLATION_ORDERINGS,
  INSTALLATION_STATUSES,
  type InstallationOrdering,
  type InstallationStatus,
} from '../installation.entity.js';

/** Appended to an operation's description where `scope` and `org` choose one installation. */
export const INSTALLATION_TARGET_NOTE =
  ' The installation is chosen with `scope` (user, the default: yours; org with `org`; global) and `org`.';

/** The §4 `scope` of an installation target: `user` (the default), `org` or `global`. */
export const TargetScopeField = () => OptionalEnumField(TARGET_SCOPES, 'TargetScope');

/** The §4 target of an installation endpoint: `scope` (default your own) and `org` (implies scope=org). */
export class InstallationTargetQueryDto {
  /** Whose installation: `user` (yours, the default), `org` (with `org`) or `global` (the instance's). */
  @TargetScopeField()
  scope?: TargetScope;

  /** The organisation (slug or id); implies scope=org. */
  @OrgRefField()
  org?: string;
}

/** A list of one installation's things (GET …/backups/): its target and a page. */
export class PagedInstallationTargetQueryDto extends PaginationQueryDto {
  /** Whose installation: `user` (yours, the default), `org` (with `org`) or `global` (the instance's). */
  @TargetScopeField()
  scope?: TargetScope;

  /** The organisation (slug or id); implies scope=org. */
  @OrgRefField()
  org?: string;
}

/** DELETE …/install/: the target, and what happens to settings and data. */
export class UninstallQueryDto extends InstallationTargetQueryDto {
  @QueryBoolean('Remove settings and plugin storage too (default true); false keeps them for a later install.')
  delete_config?: boolean;

  @QueryBoolean('Uninstall although installed plugins of the same target depend on it (default false).')
  force?: boolean;
}

/** The organisation an /api/org/plugins/{plugin}/ endpoint acts for. */
export class OrgQueryDto {
  /** The organisation (slug or id). */
  @OrgRefField({ optional: false })
  org: string;
}

/** DELETE /api/org/plugins/{plugin}/disable/. */
export class OrgDisableQueryDto extends OrgQueryDto {
  /** Why it is disabled (kept as its status reason). */
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

/** GET /api/org/plugins/: one organisation, or every organisation you belong to. */
export class OrgPluginsQueryDto extends PaginationQueryDto {
  /** The organisation (slug or id); omitted: all of yours. */
  @OrgRefField()
  org?: string;
}

export class InstallationListQueryDto extends PaginationQueryDto {
  /** Only installations of this plugin (its key). */
  @PatternField({
    pattern: PLUGIN_KEY_PATTERN,
    maxLength: 100,
    message: 'must be a plugin key: publisher.name',
    example: 'plughub.hello',
    optional: true,
  })
  plugin?: string;

  /** Only installations of this scope. */
  @TargetScopeField()
  scope?: TargetScope;

  /** Only installations of this organisation (slug or id). */
  @OrgRefField()
  org?: string;

  /** Only the installations of this user (an id). */
  @ApiPropertyOptional({ pattern: '^[0-9a-f]{24}$', maxLength: 24 })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{24}$/, { message: 'must be an id of 24 hexadecimal digits' })
  user?: string;

  /** Only installations in this status. */
  @OptionalEnumField(INSTALLATION_STATUSES, 'InstallationStatus')
  status?: InstallationStatus;

  @QueryBoolean('Only installations with (true) or without (false) a newer compatible version available.')
  update_available?: boolean;

  /** Order by; default `-installed_at` (newest first). */
  @OptionalEnumField(INSTALLATION_ORDERINGS, 'InstallationOrdering')
  ordering?: InstallationOrdering;
}
