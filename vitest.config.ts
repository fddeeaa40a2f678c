import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const lib = (name: string) => fileURLToPath(new URL(`./libs/${name}/src`, import.meta.url));

// SWC instead of esbuild: Nest's DI needs emitDecoratorMetadata, which esbuild does not emit.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2023' } })],
  resolve: {
    alias: [
      ...['common', 'database', 'embedded-mongo', 'runtime', 'plugin-sdk', 'client'].map((name) => ({
        find: new RegExp(`^@app/${name}(/.*)?$`),
        replacement: `${lib(name)}$1`,
      })),
      // Test helpers (strictMock, clocks, fakes) for specs beside the code: test files only, never app code.
      { find: /^@test\/(.*)$/, replacement: `${fileURLToPath(new URL('./test', import.meta.url))}/$1` },
    ],
  },
  test: {
    include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'test/**/*.e2e-spec.ts', 'plugins/**/*.spec.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
