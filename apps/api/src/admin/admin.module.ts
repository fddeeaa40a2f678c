import { Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { interceptRoutes, MUTATING_REQUEST_METHODS } from '@app/common';
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

/** How many route handlers the audit interceptor is on (resolved before the routes are registered). */
const AUDITED_ROUTES = Symbol('AUDITED_ROUTES');

/**
 * Platform administration: the hash-chained audit log (one interceptor on every mutating route, the `audit.action`
 * event, the admin and org readers) and plugin moderation (the overview, review and verification, on the registry's
 * ModerationService, which holds the rules). Exports AuditNotes for services that add the state before a change to their entry.
 */
@Module({
  imports: [
    DiscoveryModule,
    AdminPersistenceModule,
    AccessModule,
    RegistryModule,
    InstallationModule,
    AuditNotesModule,
  ],
  controllers: [AuditController, OrgAuditController, AdminPluginsController, KillSwitchController],
  providers: [
    AdminPluginsService,
    KillSwitchService,
    KillWatcher,
    AuditActions,
    AuditLog,
    AuditService,
    AuditInterceptor,
    // On every POST, PUT, PATCH and DELETE handler, like a global interceptor, but not on reads (see interceptRoutes).
    {
      provide: AUDITED_ROUTES,
      inject: [DiscoveryService, AuditInterceptor],
      useFactory: (discovery: DiscoveryService, audit: AuditInterceptor) =>
        interceptRoutes(discovery, audit, (method) => MUTATING_REQUEST_METHODS.has(method)),
    },
  ],
  exports: [AuditNotesModule, AuditLog],
})
export class AdminModule {}
