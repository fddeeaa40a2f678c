import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AccessModule } from '../auth/access.module.js';
import { InstallationModule } from '../installation/installation.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { AdminPluginsController } from './admin-plugins.controller.js';
import { AdminPluginsService } from './admin-plugins.service.js';
import { KillSwitchController } from './kill-switch.controller.js';
import { KillSwitchService } from './kill-switch.service.js';
import { KillWatcher } from './kill-watcher.js';
import { AuditActions } from './audit-actions.js';
import { AuditController, OrgAuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditLog } from './audit-log.js';
import { AuditNotesModule } from './audit-notes.module.js';
import { AuditService } from './audit.service.js';
import { AdminPersistenceModule } from './persistence/admin-persistence.module.js';

/**
 * Platform administration: the hash-chained audit log (one global interceptor, the `audit.action` event, the
 * admin and org readers) and plugin moderation (the overview, review and verification, on the registry's
 * ModerationService, which holds the rules). Exports AuditNotes for services that add the state before a change to their entry.
 */
@Module({
  imports: [AdminPersistenceModule, AccessModule, RegistryModule, InstallationModule, AuditNotesModule],
  controllers: [AuditController, OrgAuditController, AdminPluginsController, KillSwitchController],
  providers: [
    AdminPluginsService,
    KillSwitchService,
    KillWatcher,
    AuditActions,
    AuditLog,
    AuditService,
    AuditInterceptor,
    { provide: APP_INTERCEPTOR, useExisting: AuditInterceptor },
  ],
  exports: [AuditNotesModule, AuditLog],
})
export class AdminModule {}
