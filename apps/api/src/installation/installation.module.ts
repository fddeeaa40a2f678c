import { readFileSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { AccessModule } from '../auth/access.module.js';
import { projectFile } from '../config/paths.js';
import { RegistryModule } from '../registry/registry.module.js';
import { RuntimeModule } from '../runtime/runtime.module.js';
import { SecretsModule } from '../secrets/secrets.module.js';
import { FaultPoints } from './fault-points.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { InstallResolution } from './install-resolution.js';
import { InstallService } from './install.service.js';
import { InstallationEvents } from './installation-events.js';
import { PLATFORM_VERSION } from './installation.ports.js';
import { InstallationRuntime } from './installation-runtime.js';
import { InstallationsController, MyPluginsController, OrgPluginsController } from './installations.controller.js';
import { InstallationsService } from './installations.service.js';
import { LifecycleService } from './lifecycle.service.js';
import { OperationJournal } from './operation-journal.js';
import { OrgPluginsService } from './org-plugins.service.js';
import { PackageSource } from './package-source.js';
import { InstallationPersistenceModule } from './persistence/installation-persistence.module.js';
import { PluginInstallationController } from './plugin-installation.controller.js';
import { RegistryStatusService } from './registry-status.service.js';
import { RuntimeReconciler } from './runtime-reconciler.js';
import { AutoUpdater } from './auto-updater.js';
import { UpdateAvailability } from './update-availability.js';
import { UpdateService } from './update.service.js';
import { SealedSecretsModule } from './persistence/sealed-secrets.module.js';
import { AuditNotesModule } from '../admin/audit-notes.module.js';

/**
 * Installation: install, activate, update, roll back and uninstall plugins per user, organisation and instance,
 * with dependency resolution, running them in the runtime. What other modules use is exported (README.md):
 * InstallationsService (which installation serves a caller, effective sets, runtime ids, the response schema),
 * LifecycleService (start, stop, the kill switch), InstallationRuntime (the one way into PluginRuntime for an
 * installation) and RuntimeReconciler (boot and reload, registry errors). It binds the registry's
 * INSTALLATION_LOOKUP in its persistence module.
 */
@Module({
  imports: [
    InstallationPersistenceModule,
    SealedSecretsModule,
    RegistryModule,
    RuntimeModule,
    SecretsModule,
    AccessModule,
    AuditNotesModule,
  ],
  controllers: [PluginInstallationController, InstallationsController, MyPluginsController, OrgPluginsController],
  providers: [
    {
      provide: PLATFORM_VERSION,
      useFactory: () => (JSON.parse(readFileSync(projectFile('package.json'), 'utf8')) as { version: string }).version,
    },
    FaultPoints,
    InstallationEvents,
    InstallationRuntime,
    OperationJournal,
    RuntimeReconciler,
    InstallResolution,
    InstallationsService,
    InstallService,
    LifecycleService,
    OrgPluginsService,
    PackageSource,
    RegistryStatusService,
    UpdateAvailability,
    UpdateService,
    AutoUpdater,
    IdempotencyInterceptor,
  ],
  exports: [InstallationsService, LifecycleService, UpdateService, InstallationRuntime, RuntimeReconciler, FaultPoints],
})
export class InstallationModule {}
