import { Global, Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
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
@Module(
  persistenceModule({
    imports: [AccessModule],
    models: [...SETTINGS_MODELS, [OperationDoc, OperationSchema], [IdempotencyDoc, IdempotencySchema]],
    repositories: [InstallationRepository, OperationRepository, IdempotencyRepository],
    ports: [
      { provide: INSTALLATION_LOOKUP, useExisting: InstallationLookupAdapter },
      { provide: INSTALLATION_USAGE, useExisting: InstallationUsageAdapter },
    ],
  }),
)
export class InstallationPersistenceModule {}
