import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import type { AuthConfig } from '../config/app-config.js';
import { AUTH_CONFIG } from '../config/config.module.js';
import { UsersService } from '../users/users.service.js';

/** Writes the one-time credentials box; the console, never the structured log. */
export type ConsoleWriter = (text: string) => void;
export const ADMIN_CONSOLE = Symbol('ADMIN_CONSOLE');

/**
 * Every start makes sure an active platform admin exists. On the first start it creates one from
 * PLUGHUB_ADMIN_EMAIL / PLUGHUB_ADMIN_PASSWORD, or with a generated password printed once to the console (never
 * to the structured log). When no active admin exists but PLUGHUB_ADMIN_EMAIL has an account, that account is
 * made an active admin (its password unchanged), and the log says so: the way back for an instance that lost its
 * admins. Resetting a forgotten password is `npm run admin -- --email … --reset-password`.
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger: JsonLogger;

  constructor(
    private readonly users: UsersService,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(ADMIN_CONSOLE) private readonly console: ConsoleWriter,
    logger: JsonLogger,
  ) {
    this.logger = logger.child('AdminBootstrap');
  }

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.countActiveAdmins()) > 0) return;
    const { email } = this.config.admin;
    const existing = await this.users.findByEmail(email);
    if (existing) {
      await this.users.promoteToAdmin(existing);
      this.logger.warn('No active platform admin existed: promoted PLUGHUB_ADMIN_EMAIL to an active admin', {
        email,
        user_id: existing.id,
      });
      return;
    }
    const generated = this.config.admin.password === null;
    const password = this.config.admin.password ?? randomBytes(12).toString('base64url');
    await this.users.create({ email, password, name: 'Administrator', roles: ['admin'] });
    this.logger.log('Created the platform admin', { email, password_generated: generated });
    if (!generated) return;
    this.console(
      [
        '',
        '  ┌─ Plughub admin account created ───────────────────────────',
        `  │ email:    ${email}`,
        `  │ password: ${password}`,
        '  │ Shown once. Set PLUGHUB_ADMIN_PASSWORD to choose it yourself.',
        '  └───────────────────────────────────────────────────────────',
        '',
      ].join('\n') + '\n',
    );
  }
}
