import { Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AccessModule } from '../auth/access.module.js';
import { RegistryModule } from '../registry/registry.module.js';
import { AdminPluginsController } from './admin-plugins.controller.js';
import { AdminPluginsService } from './admin-plugins.service.js';
import { AuditActions } from './audit-actions.js';
import { AuditController, OrgAuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditLog } from './audit-log.js';
import { AuditNotes } from './audit-notes.js';
import { AuditService } from './audit.service.js';
import { AdminPersistenceModule } from './persistence/admin-persistence.module.js';

/**
 * Platform administration: the hash-chained audit log (one global interceptor, the `audit.action` event, the
 * admin and org readers) and plugin moderation (the overview, review and verification, on the registry's
 * ModerationService, which holds the rules). Exports AuditNotes for services that add the state before a change to their entry.
 */
@Module({
  imports: [AdminPersistenceModule, AccessModule, RegistryModule],
  controllers: [AuditController, OrgAuditController, AdminPluginsController],
  providers: [
    AdminPluginsService,
    AuditActions,
    AuditNotes,
    AuditLog,
    AuditService,
    AuditInterceptor,
    { provide: APP_INTERCEPTOR, useExisting: AuditInterceptor },
  ],
  exports: [AuditNotes, AuditLog],
})
export class AdminModule {}
