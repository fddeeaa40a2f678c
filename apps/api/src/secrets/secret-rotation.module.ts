import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import { DatabaseModule } from '@app/database';
import type { AppConfig } from '../config/app-config.js';
import type { Keyring } from './keyring.js';
import { SecretBox } from './secret-box.js';
import { SecretRotation } from './secret-rotation.js';

/**
 * What `npm run secrets:rotate` runs: the database, the stored sealed values (`store`: the module of their owner
 * that binds SEALED_SECRETS, given by the script), and a SecretBox with every key.
 */
@Module({})
export class SecretRotationModule {
  static forRoot(config: AppConfig, logger: JsonLogger, keyring: Keyring, store: Type): DynamicModule {
    return {
      module: SecretRotationModule,
      imports: [DatabaseModule.forRoot({ ...config.database, attachToRunning: true }), store],
      providers: [
        { provide: JsonLogger, useValue: logger },
        { provide: SecretBox, useValue: new SecretBox(keyring.current, keyring.others) },
        SecretRotation,
      ],
    };
  }
}
