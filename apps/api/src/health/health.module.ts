import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { HealthPersistenceModule } from './persistence/health-persistence.module.js';

@Module({
  imports: [HealthPersistenceModule, RuntimeModule, MessagingModule],
  controllers: [HealthController],
  providers: [HealthService],
  exports: [HealthService],
})
export class HealthModule {}
