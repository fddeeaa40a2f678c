import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus, type PageWindow, type Slice } from '@app/common';
import {
  CAPABILITY_CATALOGUE,
  capabilityOf,
  normalizeManifest,
  type Permission,
  type RiskLevel,
} from '@app/plugin-sdk';
import { PluginRuntime, type ResolvedLimits, resolveLimits } from '@app/runtime';
import type { Installation } from '../installation/installation.entity.js';
import { PackageUnreadableError } from '../installation/installation.errors.js';
import { InstallationRuntime } from '../installation/installation-runtime.js';
import { InstallationsService, type TargetQuery } from '../installation/installations.service.js';
import { eventSubject } from '../installation/targets.js';
import { CapabilityInfoDto } from './dto/capability.dto.js';
import { deniedOf, NO_CEILING, type PermissionsRequest, planPermissions } from './permission-change.js';
import { permissionsRefusal } from './permissions.errors.js';
import './permissions.entity.js';

/** An installation's permissions as GET and PUT …/permissions/ answer them. */
export interface PermissionsView {
  requested: Permission[];
  granted: Permission[];
  denied: Permission[];
  pendingGrants: Permission[];
  securityLevel: RiskLevel;
  sandboxEnabled: boolean;
  limits: ResolvedLimits;
  maximums: ResolvedLimits;
  updatedAt: Date;
}

/**
 * Capability grants, security level and resource limits of an installation, kept on the installation (written
 * through InstallationsService.writePermissions) and pushed to its running instance at once
 * (InstallationRuntime.pushPermissions: no restart, the next call sees them). The catalogue is the SDK's.
 */
@Injectable()
export class PermissionsService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly installationRuntime: InstallationRuntime,
    private readonly runtime: PluginRuntime,
    private readonly bus: EventBus,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /** GET /api/permissions/: every capability a manifest may request, in the catalogue's order. */
  catalogue(window: PageWindow): Slice<CapabilityInfoDto> {
    const items = CAPABILITY_CATALOGUE.slice(window.offset, window.offset + window.limit).map((c) =>
      CapabilityInfoDto.from(c),
    );
    return { count: CAPABILITY_CATALOGUE.length, items };
  }

  async get(caller: AuthUser, key: string, query: TargetQuery): Promise<PermissionsView> {
    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    return this.view(installation);
  }

  /** PUT: grant, revoke, security level and limits in one write, live in the running plugin from its next call. */
  async change(caller: AuthUser, key: string, query: TargetQuery, body: PermissionsRequest): Promise<PermissionsView> {
    return this.installations.whileManaging(caller, key, query, async (installation) => {
      const planned = planPermissions(installation, body, this.runtime.platform.max);
      if (!planned.ok) throw permissionsRefusal(planned.reason, planned.errors);
      if (!planned.changed) return this.view(installation);
      const written = await this.installations.writePermissions(installation, planned.change);
      const applied = await this.installationRuntime.pushPermissions(written);
      const before = new Set(installation.grants.map(capabilityOf));
      const after = new Set(written.grants.map(capabilityOf));
      await this.bus.emit('permissions.changed', {
        ...eventSubject(written),
        actor: { kind: 'user', id: caller.id },
        grants: written.grants,
        granted: [...after].filter((c) => !before.has(c)),
        revoked: [...before].filter((c) => !after.has(c)),
        securityLevel: written.securityLevel,
        limits: written.limits,
        applied,
        at: this.clock.now(),
      });
      return this.view(written);
    });
  }

  private async view(installation: Installation): Promise<PermissionsView> {
    const pkg = await this.installationRuntime.package(installation.pluginKey, installation.installedVersion);
    if (!pkg) throw new PackageUnreadableError(installation.pluginKey, installation.installedVersion);
    const running = this.installationRuntime.status(installation.id);
    const limits =
      running?.limits ??
      resolveLimits(
        {
          manifest: pkg.manifest,
          limits: installation.limits ?? undefined,
          storageQuotaBytes: installation.limits?.storage_quota_bytes,
        },
        this.runtime.platform,
      );
    return {
      requested: installation.requested,
      granted: installation.grants,
      denied: deniedOf(installation.requested, installation.grants),
      pendingGrants: installation.pendingGrants,
      securityLevel: installation.securityLevel ?? NO_CEILING,
      sandboxEnabled: normalizeManifest(pkg.manifest).runtime.type === 'sandbox',
      limits,
      maximums: this.runtime.platform.max,
      updatedAt: installation.updatedAt,
    };
  }
}
