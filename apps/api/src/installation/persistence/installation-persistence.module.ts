import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../../auth/access.module.js';
import { INSTALLATION_USAGE } from '../../metrics/metrics.ports.js';
import { INSTALLATION_LOOKUP } from '../../registry/registry.ports.js';
import { InstallationLookupAdapter } from './installation-lookup.adapter.js';
import { InstallationRepository } from './installation.repository.js';
import { InstallationUsageAdapter } from './installation-usage.adapter.js';
import { SETTINGS_MODELS } from './installation.schema.js';
import { IdempotencyRepository, OperationRepository } from './operation.repository.js';
import { IdempotencyDoc, IdempotencySchema, OperationDoc, OperationSchema } from './operation.schema.js';

/**
 * The installation module's collections (installations, retained settings, the operation journal, idempotency
 * keys) and its bindings of the registry's INSTALLATION_LOOKUP and the metrics module's INSTALLATION_USAGE.
 * Global, so those modules see the bindings without importing this one (docs/MODULES.md, "Ports").
 */
@Global()
@Module({
  imports: [
    AccessModule,
    MongooseModule.forFeature([
      ...SETTINGS_MODELS,
      { name: OperationDoc.name, schema: OperationSchema },
      { name: IdempotencyDoc.name, schema: IdempotencySchema },
    ]),
  ],
  providers: [
    InstallationRepository,
    OperationRepository,
    IdempotencyRepository,
    InstallationLookupAdapter,
    { provide: INSTALLATION_LOOKUP, useExisting: InstallationLookupAdapter },
    InstallationUsageAdapter,
    { provide: INSTALLATION_USAGE, useExisting: InstallationUsageAdapter },
  ],
  exports: [
    InstallationRepository,
    OperationRepository,
    IdempotencyRepository,
    INSTALLATION_LOOKUP,
    INSTALLATION_USAGE,
  ],
})
export class InstallationPersistenceModule {}
