import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AuditAnchorDoc, AuditAnchorSchema, AuditEntryDoc, AuditEntrySchema } from './audit-entry.schema.js';
import { AuditRepository } from './audit.repository.js';

/** The audit log's collections: the entries and the chain's anchor. */
@Module({
  imports: [
    MongooseModule.forFeature([
      { name: AuditEntryDoc.name, schema: AuditEntrySchema },
      { name: AuditAnchorDoc.name, schema: AuditAnchorSchema },
    ]),
  ],
  providers: [AuditRepository],
  exports: [AuditRepository],
})
export class AdminPersistenceModule {}
