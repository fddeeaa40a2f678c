import { Module } from '@nestjs/common';
import { InstallationModule } from '../installation/installation.module.js';
import { MessagingModule } from '../messaging/messaging.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { PluginEndpointsPersistenceModule } from './persistence/plugin-endpoints-persistence.module.js';
import { PluginEndpointsController } from './plugin-endpoints.controller.js';
import { PluginEndpointsService } from './plugin-endpoints.service.js';

/**
 * The plugin surface (issue 17): ANY /api/plugins/{plugin}/endpoints/{path} to a plugin's onRequest, POST
 * /api/plugins/{plugin}/execute/ to its onProcess, and the admin's switch for public endpoints.
 */
@Module({
  imports: [InstallationModule, MessagingModule, RegistryModule, RuntimeModule, PluginEndpointsPersistenceModule],
  controllers: [PluginEndpointsController],
  providers: [PluginEndpointsService],
})
export class PluginEndpointsModule {}
