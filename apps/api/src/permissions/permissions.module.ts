import { Module } from '@nestjs/common';
import { InstallationModule } from '../installation/installation.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { CapabilitiesController, PluginPermissionsController } from './permissions.controller.js';
import { PermissionsService } from './permissions.service.js';

/** Capability grants, security level and resource limits per installation (issue 12), and the catalogue. */
@Module({
  imports: [InstallationModule, RuntimeModule],
  controllers: [PluginPermissionsController, CapabilitiesController],
  providers: [PermissionsService],
  exports: [PermissionsService],
})
export class PermissionsModule {}
