import { Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { AuditAnchorDoc, AuditAnchorSchema, AuditEntryDoc, AuditEntrySchema } from './audit-entry.schema.js';
import { AuditRepository } from './audit.repository.js';

/** The audit log's collections: the entries and the chain's anchor. */
@Module(
  persistenceModule({
    models: [
      [AuditEntryDoc, AuditEntrySchema],
      [AuditAnchorDoc, AuditAnchorSchema],
    ],
    repositories: [AuditRepository],
  }),
)
export class AdminPersistenceModule {}
