// Runs the TypeScript sources with plain node: `node --import ./scripts/swc-register.mjs apps/api/src/main.ts`.
// A test seam for tests that need a real server process without a build (test/installation-crash.e2e-spec.ts):
// the hooks in swc-hooks.mjs compile each .ts file with SWC as vitest does. Never used by the product.
import { register } from 'node:module';

register('./swc-hooks.mjs', import.meta.url);
