import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from './config/app-config.js';
import { createApp } from './create-app.js';
import { OpenApiDocumentHolder } from './meta/openapi-document.holder.js';

/** Writes the contract of the compiled app to the given file (run by `npm run openapi`). */
async function main(): Promise<void> {
  const target = process.argv[2] ?? 'openapi/openapi.json';
  const app = await createApp(
    loadConfig({
      PLUGHUB_DB_MEMORY: 'true',
      PLUGHUB_LOG_LEVEL: 'error',
      // Only the contract is wanted: no secrets or credentials are generated or printed.
      PLUGHUB_JWT_SECRET: 'openapi-generation-only-secret-0000',
      PLUGHUB_ADMIN_PASSWORD: 'openapi-generation-only',
      PLUGHUB_SAMPLES: 'false',
    }),
  );
  const document = app.get(OpenApiDocumentHolder).document;
  await app.close();
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, JSON.stringify(document, null, 2) + '\n');
  process.stdout.write(`wrote ${target}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
