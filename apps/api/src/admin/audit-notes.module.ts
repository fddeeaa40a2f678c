import { Module } from '@nestjs/common';
import { AuditNotes } from './audit-notes.js';

/**
 * AuditNotes on its own, for the modules that add to a request's audit entry and that the admin module itself
 * depends on (installation: the secret settings of an install or update body), so they need not import it.
 */
@Module({ providers: [AuditNotes], exports: [AuditNotes] })
export class AuditNotesModule {}
