import { Global, Module } from '@nestjs/common';
import { persistenceModule } from '@app/database';
import { SEALED_SECRETS } from '../../secrets/secrets.ports.js';
import { SETTINGS_MODELS } from './installation.schema.js';
import { SealedSecretsAdapter } from './sealed-secrets.adapter.js';

/** The installation module's binding of SEALED_SECRETS (the secret rotation), on its own for the rotate script. */
@Global()
@Module(
  persistenceModule({
    models: SETTINGS_MODELS,
    ports: [{ provide: SEALED_SECRETS, useExisting: SealedSecretsAdapter }],
  }),
)
export class SealedSecretsModule {}
