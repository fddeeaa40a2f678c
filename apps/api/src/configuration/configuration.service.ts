import { Inject, Injectable } from '@nestjs/common';
import { type AuthUser, Clock, EventBus } from '@app/common';
import { SECRET_MASK, type SettingDefinition } from '@app/plugin-sdk';
import type { Installation } from '../installation/installation.entity.js';
import { InvalidConfigError, PackageUnreadableError } from '../installation/installation.errors.js';
import { InstallationRuntime, secretContext } from '../installation/installation-runtime.js';
import { InstallationsService, type TargetQuery } from '../installation/installations.service.js';
import { eventSubject } from '../installation/targets.js';
import { AuditNotes } from '../admin/audit-notes.js';
import { AccessService } from '../auth/access.service.js';
import { SecretBox } from '../secrets/secret-box.js';
import { SecretsAdminOnlyError } from './configuration.errors.js';
import { type ConfigWritePlan, planConfigWrite } from './config-write.js';
import './configuration.entity.js';

/** An installation's settings as every configuration answer shows them: secrets that are set as the mask. */
export interface ConfigView {
  configuration: Record<string, unknown>;
  /** The manifest's settings schema (include_schema). */
  schema?: Record<string, SettingDefinition>;
  /** The secret settings of the plugin (write-only; shown as `***hidden***` when set). */
  secureFields: string[];
  updatedAt: Date;
}

export interface ConfigWriteOutcome extends ConfigView {
  updatedFields: string[];
  /** The changed settings that reach the running plugin only at its next start. */
  restartRequired: string[];
}

/** A PUT (`replace`) or PATCH (`merge`) of an installation's settings: its plugin, its target and the body. */
export interface ConfigWriteRequest {
  key: string;
  query: TargetQuery;
  body: unknown;
  mode: 'replace' | 'merge';
}

/**
 * Reading and writing an installation's settings on top of the installation module: values live on the
 * installation (plain ones in `config`, secret ones sealed by SecretBox in `secrets`), written through
 * InstallationsService.writeSettings and pushed to the running instance at once (InstallationRuntime.pushSettings:
 * no restart; `restart_required` settings keep their running value until the next start).
 */
@Injectable()
export class ConfigurationService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly runtime: InstallationRuntime,
    private readonly secrets: SecretBox,
    private readonly bus: EventBus,
    private readonly access: AccessService,
    private readonly auditNotes: AuditNotes,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  /**
   * The settings as every answer shows them; `includeSchema` adds the manifest's settings schema, `includeSecrets`
   * (platform admins only: 403 SecretsAdminOnlyError for anyone else) shows secrets in clear. Each secrets read,
   * allowed or refused, is an `audit.action` (which keys, never a value).
   */
  async get(
    caller: AuthUser,
    key: string,
    query: TargetQuery,
    options: { includeSchema?: boolean; includeSecrets?: boolean } = {},
  ): Promise<ConfigView> {
    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    const settings = await this.settingsOf(installation);
    const shown = view(installation, settings);
    if (options.includeSchema) shown.schema = settings;
    if (options.includeSecrets) {
      const viewer = await this.access.viewer(caller);
      const revealed = Object.keys(installation.secrets).filter((k) => settings[k]?.secret === true);
      await this.bus.emit('audit.action', {
        actor: { kind: 'user', userId: caller.id, roles: caller.roles },
        action: 'configuration.secrets_revealed',
        target: { type: 'installation', id: installation.id, key: installation.pluginKey },
        ...(installation.target.scope === 'org' ? { orgId: installation.target.orgId } : {}),
        outcome: viewer.isAdmin ? 'success' : 'denied',
        details: { secret_keys: revealed },
        at: this.clock.now(),
      });
      if (!viewer.isAdmin) throw new SecretsAdminOnlyError();
      for (const k of revealed) {
        shown.configuration[k] = this.secrets.open(installation.secrets[k], secretContext(installation.id, k));
      }
    }
    return shown;
  }

  /** PUT (`replace`) or PATCH (`merge`); 400 InvalidConfigError listing every bad field, nothing written then. */
  async write(caller: AuthUser, request: ConfigWriteRequest): Promise<ConfigWriteOutcome> {
    return this.installations.whileManaging(caller, request.key, request.query, async (installation) => {
      const { settings, plan } = await this.planWrite(installation, request);
      const written = await this.installations.writeSettings(installation, {
        config: plan.config,
        seal: this.seal(installation, plan),
        drop: plan.dropSecrets,
      });
      const applied = await this.runtime.pushSettings(written, plan.restartRequired);
      if (plan.updatedFields.length) {
        await this.bus.emit('config.changed', {
          ...eventSubject(written),
          actor: { kind: 'user', id: caller.id },
          updatedFields: plan.updatedFields,
          restartRequired: plan.restartRequired,
          applied,
          at: this.clock.now(),
        });
      }
      return { ...view(written, settings), updatedFields: plan.updatedFields, restartRequired: plan.restartRequired };
    });
  }

  /** Checks a body as PUT (`replace`) or PATCH (`merge`) would, writing nothing: the fields it would change. */
  async validate(caller: AuthUser, request: ConfigWriteRequest): Promise<ConfigWriteOutcome> {
    const installation = await this.installations.findForCaller(caller, request.key, request.query, 'manage');
    const { settings, plan } = await this.planWrite(installation, request);
    const secretKeys = new Set(Object.keys(installation.secrets));
    for (const k of plan.dropSecrets) secretKeys.delete(k);
    for (const k of Object.keys(plan.sealSecrets)) secretKeys.add(k);
    return {
      configuration: masked(settings, plan.config, secretKeys),
      secureFields: secureFields(settings),
      updatedAt: installation.updatedAt,
      updatedFields: plan.updatedFields,
      restartRequired: plan.restartRequired,
    };
  }

  /** What PUT (`replace`) or PATCH (`merge`) of `body` would write; 400 InvalidConfigError listing every bad field. */
  private async planWrite(
    installation: Installation,
    { body, mode }: ConfigWriteRequest,
  ): Promise<{ settings: Record<string, SettingDefinition>; plan: ConfigWritePlan }> {
    const settings = await this.settingsOf(installation);
    this.markSecrets(settings, body);
    const planned = planConfigWrite(settings, storedOf(installation), body, mode);
    if (!planned.ok) throw new InvalidConfigError(planned.errors);
    return { settings, plan: planned.plan };
  }

  private seal(installation: Installation, plan: ConfigWritePlan): Record<string, string> {
    return Object.fromEntries(
      Object.entries(plan.sealSecrets).map(([k, v]) => [k, this.secrets.seal(v, secretContext(installation.id, k))]),
    );
  }

  /** The secret settings a request body gives, for the audit log to redact wherever the request carries them. */
  private markSecrets(settings: Record<string, SettingDefinition>, body: unknown): void {
    this.auditNotes.secretSettings(settings, body);
  }

  /** The settings schema of the installed version (PackageUnreadableError when its package cannot be read). */
  async settingsOf(installation: Installation): Promise<Record<string, SettingDefinition>> {
    const pkg = await this.runtime.package(installation.pluginKey, installation.installedVersion);
    if (!pkg) throw new PackageUnreadableError(installation.pluginKey, installation.installedVersion);
    return pkg.manifest.settings ?? {};
  }
}

const storedOf = (installation: Installation) => ({
  config: installation.config,
  secretKeys: Object.keys(installation.secrets),
});

const secureFields = (settings: Record<string, SettingDefinition>): string[] =>
  Object.entries(settings)
    .filter(([, def]) => def.secret === true)
    .map(([key]) => key);

function masked(
  settings: Record<string, SettingDefinition>,
  config: Record<string, unknown>,
  secretKeys: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, def] of Object.entries(settings)) {
    if (def.secret) {
      if (secretKeys.has(key)) out[key] = SECRET_MASK;
    } else if (config[key] !== undefined) out[key] = config[key];
  }
  return out;
}

function view(installation: Installation, settings: Record<string, SettingDefinition>): ConfigView {
  return {
    configuration: masked(settings, installation.config, new Set(Object.keys(installation.secrets))),
    secureFields: secureFields(settings),
    updatedAt: installation.updatedAt,
  };
}
