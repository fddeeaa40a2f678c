import { Module } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import type { SecretsConfig } from '../config/app-config.js';
import { SECRETS_CONFIG } from '../config/config.module.js';
import { SecretBox } from './secret-box.js';
import { loadSecretKey } from './secret-key.js';

/**
 * The SecretBox that seals secret settings at rest (secret-box.ts), with its key from PLUGHUB_SECRET_KEY, the
 * data dir's key file, or a per-process key with the in-memory database (secret-key.ts). Import this module to
 * inject SecretBox; the installation module seals what installs receive, the configuration module what its
 * settings endpoints receive.
 */
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [SECRETS_CONFIG, JsonLogger],
      useFactory: (config: SecretsConfig, logger: JsonLogger) => {
        const { key, source } = loadSecretKey(config);
        logger.child('Secrets').info('Secret settings key ready', { key_id: key.id, source });
        return new SecretBox(key);
      },
    },
  ],
  exports: [SecretBox],
})
export class SecretsModule {}
