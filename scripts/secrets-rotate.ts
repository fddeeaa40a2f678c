/**
 * `npm run secrets:rotate`: re-seals every stored secret setting under a new key, on the database the server uses
 * (MONGODB_URI, else the embedded engine's data directory, PLUGHUB_DATA_DIR, whether the server runs or not).
 *
 * With the key file of the data directory: the new key is written to `secret-key.next` first (mode 0600), every
 * value is re-sealed under it, and only then does it become `secret-key` (the old key kept in
 * `secret-keys.previous`, so a value nobody could re-seal still opens). Interrupted anywhere, the next run
 * carries on with the same new key. With PLUGHUB_SECRET_KEY: give the new key as PLUGHUB_NEW_SECRET_KEY; once the
 * run reports it complete, start the server with PLUGHUB_SECRET_KEY set to it.
 *
 * A running server keeps opening old values (it knows the old key) and opens re-sealed ones after its next start.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { JsonLogger, LogOutput } from '@app/common';
import { ConfigError, loadConfig } from '../apps/api/src/config/app-config.js';
import { SealedSecretsModule } from '../apps/api/src/installation/sealed-secrets.js';
import { loadKeyring, nextKey, promoteNextKey } from '../apps/api/src/secrets/keyring.js';
import { SecretRotation } from '../apps/api/src/secrets/secret-rotation.js';
import { SecretRotationModule } from '../apps/api/src/secrets/secret-rotation.module.js';

function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

let config;
try {
  config = loadConfig(process.env);
} catch (err) {
  fail(err instanceof ConfigError ? err.message : String(err));
}
const keyring = loadKeyring(config.secrets);
let next;
try {
  next = nextKey(config.secrets, process.env.PLUGHUB_NEW_SECRET_KEY ?? null);
} catch (err) {
  fail((err as Error).message);
}
if (next.id === keyring.current.id) fail('the new key is the current key');

const logger = new JsonLogger(new LogOutput('info', (line) => process.stderr.write(line + '\n')));
const app = await NestFactory.createApplicationContext(
  SecretRotationModule.forRoot(config, logger, { ...keyring, others: [...keyring.others, next] }, SealedSecretsModule),
  { logger: false },
);
try {
  const report = await app.get(SecretRotation).rotate(next);
  if (report.complete) promoteNextKey(config.secrets, keyring.current);
  process.stdout.write(
    [
      `new key:    ${next.id}`,
      `re-sealed:  ${report.resealed}`,
      `already:    ${report.current}`,
      `unreadable: ${report.unreadable}`,
      `changed:    ${report.raced}`,
      report.complete
        ? 'complete: every stored secret is sealed under the new key'
        : 'not complete: run it again (values changed meanwhile or cannot be opened; see the log)',
    ].join('\n') + '\n',
  );
  process.exitCode = report.complete ? 0 : 1;
} finally {
  await app.close();
}
