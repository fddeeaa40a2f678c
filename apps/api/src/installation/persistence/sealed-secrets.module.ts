import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { SEALED_SECRETS } from '../../secrets/secrets.ports.js';
import { SETTINGS_MODELS } from './installation.schema.js';
import { SealedSecretsAdapter } from './sealed-secrets.adapter.js';

/** The installation module's binding of SEALED_SECRETS (the secret rotation), on its own for the rotate script. */
@Global()
@Module({
  imports: [MongooseModule.forFeature(SETTINGS_MODELS)],
  providers: [SealedSecretsAdapter, { provide: SEALED_SECRETS, useExisting: SealedSecretsAdapter }],
  exports: [SEALED_SECRETS],
})
export class SealedSecretsModule {}
