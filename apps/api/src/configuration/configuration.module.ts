import { Module } from '@nestjs/common';
import { AuditNotesModule } from '../admin/audit-notes.module.js';
import { AccessModule } from '../auth/access.module.js';
import { InstallationModule } from '../installation/installation.module.js';
import { SecretsModule } from '../secrets/secrets.module.js';
import { ConfigurationController } from './configuration.controller.js';
import { ConfigurationService } from './configuration.service.js';
import { MetadataController } from './metadata.controller.js';
import { MetadataService } from './metadata.service.js';
import { SettingsController } from './settings.controller.js';
import { SettingsService } from './settings.service.js';

/** An installation's settings (issue 12), kept on the installation and written through the installation module. */
@Module({
  imports: [InstallationModule, SecretsModule, AccessModule, AuditNotesModule],
  controllers: [ConfigurationController, SettingsController, MetadataController],
  providers: [ConfigurationService, SettingsService, MetadataService],
  exports: [ConfigurationService],
})
export class ConfigurationModule {}
