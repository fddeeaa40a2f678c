import { Injectable } from '@nestjs/common';
import type { ReloadPluginsDto } from './dto/install-plugin.dto.js';
import { PluginRegistryErrorDto, PluginRegistryStatusDto, PluginReloadResultDto } from './dto/registry-status.dto.js';
import { RuntimeReconciler } from './runtime-reconciler.js';

/** GET /api/plugins/status/ and POST /api/plugins/reload/ (InvenTree's plugin registry). */
@Injectable()
export class RegistryStatusService {
  constructor(private readonly reconciler: RuntimeReconciler) {}

  status(): PluginRegistryStatusDto {
    const s = this.reconciler.status();
    return {
      active_plugins: s.activePlugins,
      registry_errors: s.errors.map((e) => PluginRegistryErrorDto.from(e)),
      reload_in_progress: s.inProgress,
      last_reload_at: s.lastReloadAt ? s.lastReloadAt.toISOString() : null,
    };
  }

  async reload(dto: ReloadPluginsDto): Promise<PluginReloadResultDto> {
    const report = await this.reconciler.reload({
      collectPlugins: dto.collect_plugins,
      forceReload: dto.force_reload,
      fullReload: dto.full_reload,
    });
    return PluginReloadResultDto.of(report, this.status());
  }
}
