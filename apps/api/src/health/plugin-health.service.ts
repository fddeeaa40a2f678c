import { Injectable } from '@nestjs/common';
import type { AuthUser } from '@app/common';
import { PluginRuntime } from '@app/runtime';
import type { TargetQuery } from '../installation/installations.service.js';
import { InstallationsService } from '../installation/installations.service.js';
import { RuntimeReconciler } from '../installation/runtime-reconciler.js';
import { PluginHealthResponseDto } from './dto/plugin-health.dto.js';
import { PluginHealthMonitor } from './plugin-health.monitor.js';
import {
  endpointStatus,
  type InstallationHealthInput,
  registryErrorChecks,
  runtimeCheck,
} from './plugin-health.rules.js';

/**
 * GET /api/plugins/{plugin}/health/: the background checks' last result for a running installation (one round
 * first when none has run yet), with the runtime's view and the registry errors of the installation as checks.
 * The status is data: the answer is 200 whatever the plugin's health.
 */
@Injectable()
export class PluginHealthService {
  constructor(
    private readonly installations: InstallationsService,
    private readonly monitor: PluginHealthMonitor,
    private readonly runtime: PluginRuntime,
    private readonly reconciler: RuntimeReconciler,
  ) {}

  async get(caller: AuthUser, key: string, query: TargetQuery): Promise<PluginHealthResponseDto> {
    const installation = await this.installations.findForCaller(caller, key, query, 'read');
    const runtimeId = this.installations.runtimeIdOf(installation);
    const instance = this.runtime.status(runtimeId);
    const input: InstallationHealthInput = {
      status: installation.status,
      enabled: installation.enabled,
      statusReason: installation.statusReason,
      instanceState: instance?.state ?? null,
      instanceReason: instance?.reason,
      registryErrors: this.reconciler
        .status()
        .errors.filter((e) => e.installationId === installation.id)
        .map((e) => ({ stage: e.stage, message: e.message, at: e.at })),
    };
    const health = instance?.state === 'ready' ? await this.monitor.current(runtimeId) : this.monitor.last(runtimeId);
    return PluginHealthResponseDto.from(key, installation.id, {
      ...health,
      status: endpointStatus(input, health.status),
      checks: [runtimeCheck(input), ...health.checks, ...registryErrorChecks(input)],
    });
  }
}
