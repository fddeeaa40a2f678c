import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { PluginHealthMonitor } from './plugin-health.monitor.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { HealthPersistenceModule } from './persistence/health-persistence.module.js';

@Module({
  imports: [HealthPersistenceModule, RuntimeModule, MessagingModule],
  controllers: [HealthController],
  providers: [HealthService, PluginHealthMonitor],
  exports: [HealthService, PluginHealthMonitor],
})
export class HealthModule {}
