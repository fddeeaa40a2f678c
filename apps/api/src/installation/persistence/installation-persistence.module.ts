import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AccessModule } from '../../auth/access.module.js';
import { INSTALLATION_LOOKUP } from '../../registry/registry.ports.js';
import { InstallationLookupAdapter } from './installation-lookup.adapter.js';
import { InstallationRepository } from './installation.repository.js';
import {
  InstallationDoc,
  InstallationSchema,
  RetainedSettingsDoc,
  RetainedSettingsSchema,
} from './installation.schema.js';
import { IdempotencyRepository, OperationRepository } from './operation.repository.js';
import { IdempotencyDoc, IdempotencySchema, OperationDoc, OperationSchema } from './operation.schema.js';

/**
 * The installation module's collections (installations, retained settings, the operation journal, idempotency
 * keys) and the binding of the registry's INSTALLATION_LOOKUP port. Global, so the registry sees the binding
 * without importing this module (docs/MODULES.md, "Ports").
 */
@Global()
@Module({
  imports: [
    AccessModule,
    MongooseModule.forFeature([
      { name: InstallationDoc.name, schema: InstallationSchema },
      { name: RetainedSettingsDoc.name, schema: RetainedSettingsSchema },
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
  ],
  exports: [InstallationRepository, OperationRepository, IdempotencyRepository, INSTALLATION_LOOKUP],
})
export class InstallationPersistenceModule {}
