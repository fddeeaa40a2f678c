import { Module } from '@nestjs/common';
import { AccessService } from './access.service.js';

/**
 * AccessService on its own, without the rest of auth: users (which auth imports) can use it too. Its port,
 * MEMBERSHIP_LOOKUP, comes from the orgs persistence module (global).
 */
@Module({ providers: [AccessService], exports: [AccessService] })
export class AccessModule {}
