import { Module } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import type { SecretsConfig } from '../config/app-config.js';
import { SECRETS_CONFIG } from '../config/config.module.js';
import { SecretBox } from './secret-box.js';
import { loadKeyring } from './keyring.js';
import { SecretRotation } from './secret-rotation.js';

/**
 * The SecretBox that seals secret settings at rest (secret-box.ts), with its key from PLUGHUB_SECRET_KEY, the
 * data dir's key file, or a per-process key with the in-memory database (secret-key.ts). Import this module to
 * inject SecretBox; the installation module seals what installs receive, the configuration module what its
 * settings endpoints receive. SecretRotation re-seals every stored value under a new key; it needs SEALED_SECRETS,
 * bound (globally) by the installation module, which keeps them.
 */
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [SECRETS_CONFIG, JsonLogger],
      useFactory: (config: SecretsConfig, logger: JsonLogger) => {
        // The key that seals, and those that may still have to open: retired ones, a rotation's next key.
        const { current, others, source } = loadKeyring(config);
        logger
          .child('Secrets')
          .info('Secret settings key ready', { key_id: current.id, source, other_keys: others.length });
        return new SecretBox(current, others);
      },
    },
    SecretRotation,
  ],
  exports: [SecretBox, SecretRotation],
})
export class SecretsModule {}
