/**
 * `npm run admin -- --email <email> [--reset-password] [--promote]`: recovers an account on the database the
 * server uses (MONGODB_URI, else the embedded engine's data directory, PLUGHUB_DATA_DIR, whether the server is
 * stopped or running).
 *
 *   --reset-password   sets a new password: PLUGHUB_NEW_PASSWORD when set, else a generated one printed once;
 *                      every JWT of the account stops working
 *   --promote          makes the account an active platform admin
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { JsonLogger, LogOutput } from '@app/common';
import { ConfigError, loadConfig } from '../apps/api/src/config/app-config.js';
import { AdminRecovery, AdminRecoveryModule, NoSuchAccountError } from '../apps/api/src/users/admin-recovery.js';

const USAGE = 'usage: npm run admin -- --email <email> [--reset-password] [--promote]';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function options() {
  try {
    return parseArgs({
      options: {
        email: { type: 'string' },
        'reset-password': { type: 'boolean', default: false },
        promote: { type: 'boolean', default: false },
      },
    }).values;
  } catch (err) {
    return fail(`${(err as Error).message}\n${USAGE}`);
  }
}

const args = options();
if (!args.email) fail(`--email is required\n${USAGE}`);
if (!args['reset-password'] && !args.promote) fail(`say what to do: --reset-password, --promote or both\n${USAGE}`);
const newPassword = process.env.PLUGHUB_NEW_PASSWORD ?? null;
if (newPassword !== null && newPassword.length < 8) fail('PLUGHUB_NEW_PASSWORD must be at least 8 characters long');

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
// Diagnostics on stderr, so stdout carries only the result.
const logger = new JsonLogger(new LogOutput('warn', (line) => process.stderr.write(line + '\n')));
const app = await NestFactory.createApplicationContext(AdminRecoveryModule.forRoot(config, logger), { logger: false });
try {
  const result = await app.get(AdminRecovery).recover({
    email: args.email.toLowerCase(),
    resetPassword: args['reset-password'] ? { password: newPassword } : undefined,
    promote: args.promote,
  });
  const lines = [`account:  ${args.email.toLowerCase()} (${result.userId})`, `roles:    ${result.roles.join(', ')}`];
  if (args['reset-password']) {
    lines.push(
      result.generatedPassword === null
        ? 'password: set from PLUGHUB_NEW_PASSWORD'
        : `password: ${result.generatedPassword}   (shown once)`,
      'Every JWT of this account issued before now has stopped working.',
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
} catch (err) {
  if (!(err instanceof NoSuchAccountError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
} finally {
  await app.close();
}
