import { Module } from '@nestjs/common';
import { InstallationModule } from '../installation/installation.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';
import { HealthPersistenceModule } from './persistence/health-persistence.module.js';
import { PluginHealthController } from './plugin-health.controller.js';
import { PluginHealthMonitor } from './plugin-health.monitor.js';
import { PluginHealthService } from './plugin-health.service.js';
import { UnhealthyInstallationPolicy } from './unhealthy-policy.js';

@Module({
  imports: [HealthPersistenceModule, RuntimeModule, MessagingModule, InstallationModule],
  controllers: [HealthController, PluginHealthController],
  providers: [HealthService, PluginHealthMonitor, PluginHealthService, UnhealthyInstallationPolicy],
  exports: [HealthService, PluginHealthMonitor],
})
export class HealthModule {}
