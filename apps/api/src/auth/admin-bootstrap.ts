import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JsonLogger } from '@app/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { UsersService } from '../users/users.service.js';

/**
 * First start: create the platform admin from PLUGHUB_ADMIN_EMAIL / PLUGHUB_ADMIN_PASSWORD, or with a
 * generated password printed once to the console (never to the structured log).
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new JsonLogger('AdminBootstrap');

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.users.countWithRole('admin')) > 0) return;
    const generated = this.config.admin.password === null;
    const password = this.config.admin.password ?? randomBytes(12).toString('base64url');
    const existing = await this.users.findByEmail(this.config.admin.email);
    if (existing) {
      this.logger.warn('No admin exists and PLUGHUB_ADMIN_EMAIL belongs to a non-admin user; not promoting it', {
        email: existing.email,
      });
      return;
    }
    await this.users.create({ email: this.config.admin.email, password, name: 'Administrator', roles: ['admin'] });
    this.logger.log('Created the platform admin', { email: this.config.admin.email, password_generated: generated });
    if (generated) {
      process.stdout.write(
        [
          '',
          '  ┌─ Plughub admin account created ───────────────────────────',
          `  │ email:    ${this.config.admin.email}`,
          `  │ password: ${password}`,
          '  │ Shown once. Set PLUGHUB_ADMIN_PASSWORD to choose it yourself.',
          '  └───────────────────────────────────────────────────────────',
          '',
        ].join('\n') + '\n',
      );
    }
  }
}
