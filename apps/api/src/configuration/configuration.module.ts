import { Module } from '@nestjs/common';
import { InstallationModule } from '../installation/installation.module.js';
import { SecretsModule } from '../secrets/secrets.module.js';
import { ConfigurationController } from './configuration.controller.js';
import { ConfigurationService } from './configuration.service.js';

/** An installation's settings (issue 12), kept on the installation and written through the installation module. */
@Module({
  imports: [InstallationModule, SecretsModule],
  controllers: [ConfigurationController],
  providers: [ConfigurationService],
  exports: [ConfigurationService],
})
export class ConfigurationModule {}
