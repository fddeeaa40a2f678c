import { Inject, Injectable } from '@nestjs/common';
import { type AuditActionEvent, Clock, EventBus, JsonLogger } from '@app/common';
import type { HealthConfig } from '../config/app-config.js';
import { HEALTH_CONFIG } from '../config/config.module.js';
import { InstallationsService } from '../installation/installations.service.js';
import { LifecycleService } from '../installation/lifecycle.service.js';
import type { PluginHealth } from './health.entity.js';

const COMPONENT = 'health-policy';

/**
 * The optional policy (off by default) for an installation that stays unhealthy: after
 * PLUGHUB_PLUGIN_UNHEALTHY_DISABLE_AFTER failed check rounds in a row it is disabled through the installation's
 * own lifecycle (actor system; the installation emits plugin.disabled), announced as `plugin.health_disabled` and
 * recorded as an `audit.action`. Only active installations are disabled; one already being disabled is left alone.
 */
@Injectable()
export class UnhealthyInstallationPolicy {
  private readonly inFlight = new Set<string>();
  private readonly logger: JsonLogger;

  constructor(
    private readonly installations: InstallationsService,
    private readonly lifecycle: LifecycleService,
    private readonly events: EventBus,
    @Inject(HEALTH_CONFIG) private readonly config: HealthConfig,
    @Inject(Clock) private readonly clock: Clock,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('UnhealthyInstallationPolicy');
  }

  /** Whether this round's result calls for the policy. */
  applies(health: Pick<PluginHealth, 'status' | 'consecutiveFailures'>): boolean {
    const after = this.config.disableAfter;
    return after > 0 && health.status === 'unhealthy' && health.consecutiveFailures >= after;
  }

  /** Called by the monitor after each check round. */
  async afterRound(health: PluginHealth): Promise<void> {
    if (!this.applies(health) || this.inFlight.has(health.installationId)) return;
    this.inFlight.add(health.installationId);
    try {
      await this.disable(health);
    } finally {
      this.inFlight.delete(health.installationId);
    }
  }

  private async disable(health: PluginHealth): Promise<void> {
    const installation = await this.installations.byId(health.installationId);
    if (installation?.status !== 'active') return;
    const failing = health.checks.filter((c) => c.status === 'fail').map((c) => c.name);
    const reason = `unhealthy for ${health.consecutiveFailures} health checks in a row (${failing.join(', ')})`;
    const target = {
      type: 'installation',
      id: installation.id,
      key: installation.pluginKey,
    };
    const orgId = installation.target.scope === 'org' ? { orgId: installation.target.orgId } : {};
    const audit = (entry: Omit<AuditActionEvent, 'actor' | 'action' | 'target' | 'orgId'>) =>
      this.events.emit('audit.action', {
        actor: { kind: 'system', component: COMPONENT },
        action: 'installation.disabled_unhealthy',
        target,
        ...orgId,
        ...entry,
      });
    const details = {
      consecutive_failures: health.consecutiveFailures,
      failing,
      policy_after: this.config.disableAfter,
    };
    try {
      const disabled = await this.lifecycle.stop(installation, { kind: 'system' }, { reason });
      const at = this.clock.now();
      await this.events.emit('plugin.health_disabled', {
        installationId: installation.id,
        pluginKey: installation.pluginKey,
        consecutiveFailures: health.consecutiveFailures,
        failing,
        at,
      });
      await audit({
        outcome: 'success',
        before: { status: installation.status },
        after: { status: disabled.status, status_reason: reason },
        details,
        at,
      });
      this.logger.warn('Disabled an installation that stayed unhealthy', {
        installation_id: installation.id,
        plugin: installation.pluginKey,
        ...details,
      });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      await audit({ outcome: 'failure', details: { ...details, error }, at: this.clock.now() });
      this.logger.warn('Could not disable an unhealthy installation', { installation_id: installation.id, error });
    }
  }
}
