import { randomBytes } from 'node:crypto';
import { type DynamicModule, Global, Inject, Injectable, Module } from '@nestjs/common';
import { JsonLogger, type PlatformRole } from '@app/common';
import { DatabaseModule } from '@app/database';
import type { AppConfig } from '../config/app-config.js';
import { PasswordHasher, ScryptPasswordHasher } from './password-hasher.js';
import { UserRepository } from './persistence/user.repository.js';
import { UsersPersistenceModule } from './persistence/users-persistence.module.js';

export interface RecoveryRequest {
  email: string;
  /** Set a new password: this one, or (null) a generated one that the caller shows once. */
  resetPassword?: { password: string | null };
  /** Make the account an active platform admin. */
  promote?: boolean;
}

export interface RecoveryResult {
  userId: string;
  /** The generated password, when one was generated: shown once, stored only as its hash. */
  generatedPassword: string | null;
  roles: PlatformRole[];
}

export class NoSuchAccountError extends Error {
  constructor(email: string) {
    super(`No account has the email ${email}.`);
    this.name = 'NoSuchAccountError';
  }
}

/**
 * What `npm run admin` does to an account, on the database the server uses (MONGODB_URI, or the embedded
 * engine's data directory, whether the server is stopped or running): reset the password (which also ends the
 * account's JWTs) and make it an active admin. A running server picks the change up at once for logins and within
 * AUTH_USER_TTL_MS for requests with an existing API token.
 */
@Injectable()
export class AdminRecovery {
  // Explicit tokens: the script runs under tsx (esbuild), which emits no decorator metadata.
  constructor(
    @Inject(UserRepository) private readonly users: UserRepository,
    @Inject(PasswordHasher) private readonly hasher: PasswordHasher,
  ) {}

  async recover(request: RecoveryRequest): Promise<RecoveryResult> {
    const user = await this.users.findByEmail(request.email);
    if (!user) throw new NoSuchAccountError(request.email);
    let generatedPassword: string | null = null;
    let passwordHash: string | undefined;
    if (request.resetPassword) {
      const password = request.resetPassword.password ?? (generatedPassword = randomBytes(12).toString('base64url'));
      passwordHash = await this.hasher.hash(password);
    }
    const roles: PlatformRole[] | undefined =
      request.promote && !user.roles.includes('admin') ? ['admin', ...user.roles] : undefined;
    const updated = await this.users.update(
      user.id,
      { passwordHash, roles, isActive: request.promote ? true : undefined },
      { revokeSessions: passwordHash !== undefined },
    );
    if (!updated) throw new NoSuchAccountError(request.email);
    return { userId: updated.id, generatedPassword, roles: updated.roles };
  }
}

/** The database and the users collection, nothing else of the app: what the admin script boots. */
@Global()
@Module({})
export class AdminRecoveryModule {
  static forRoot(config: AppConfig, logger: JsonLogger): DynamicModule {
    return {
      module: AdminRecoveryModule,
      imports: [DatabaseModule.forRoot({ ...config.database, attachToRunning: true }), UsersPersistenceModule],
      providers: [
        { provide: JsonLogger, useValue: logger },
        { provide: PasswordHasher, useValue: new ScryptPasswordHasher({ concurrency: 1 }) },
        AdminRecovery,
      ],
      exports: [JsonLogger],
    };
  }
}
