// Regenerates the API contract and everything derived from it, deterministically:
//   1. apps/api/src/metadata.ts  Swagger metadata for runs without the CLI plugin (vitest)
//   2. openapi/openapi.json      built from the compiled app's controllers and DTOs
//   3. libs/client/src/*         the typed client, generated from openapi/openapi.json
// Run after any change to an endpoint, DTO or schema: `npm run openapi`.
import { execFileSync } from 'node:child_process';
import { PluginMetadataGenerator } from '@nestjs/cli/lib/compiler/plugins/plugin-metadata-generator.js';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';

const run = (cmd, args) => execFileSync(cmd, args, { stdio: 'inherit' });

new PluginMetadataGenerator().generate({
  visitors: [
    new ReadonlyVisitor({
      introspectComments: true,
      classValidatorShim: true,
      dtoFileNameSuffix: ['.dto.ts'],
      pathToSource: 'apps/api/src',
    }),
  ],
  outputDir: 'apps/api/src',
  filename: 'metadata.ts',
  tsconfigPath: 'apps/api/tsconfig.app.json',
  printDiagnostics: false,
});
run('npx', ['prettier', '--log-level', 'warn', '--write', 'apps/api/src/metadata.ts']);
run('npx', ['nest', 'build']);
run('node', ['dist/apps/api/src/openapi-cli.js', 'openapi/openapi.json']);
run('node', ['scripts/generate-client.mjs']);
