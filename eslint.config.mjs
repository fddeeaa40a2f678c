import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      // Generated (see .gitattributes): never edited by hand, never linted.
      'libs/client/src/**',
      'apps/api/src/generated/**',
      '**/*.cjs',
      'plugins/**/*.js',
    ],
  },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // scripts/*.mjs (and this file) are plain ESM run by node, type-checked from their JSDoc by
        // scripts/tsconfig.json.
        projectService: { allowDefaultProject: ['eslint.config.mjs'], defaultProject: 'scripts/tsconfig.json' },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Specs hand mocked methods to expect(): referencing them unbound is the point there.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'test/support/**'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Mongo only in persistence (docs/MODULES.md): repositories, schemas and persistence modules are the only code
    // that may import the database libraries or a schema; everything else goes through a repository or a port.
    files: ['**/*.ts', '**/*.mjs'],
    ignores: [
      '**/persistence/**',
      '**/*-persistence.module.ts',
      'libs/database/**',
      'libs/embedded-mongo/**',
      // Benchmarks the engine itself, through the driver.
      'bench/embedded-mongo.bench.ts',
      // Counts the app's database operations per request through Mongoose's debug hook.
      'bench/registry-catalog.server.ts',
      // Reads the embedded engine's documents-read counter (serverStatus) around each query.
      'bench/plugin-logs.bench.ts',
      // The one helper through which tests may read raw stored documents (leak, tamper and crash checks).
      'test/support/raw-db.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['mongoose', 'mongoose/*', '@nestjs/mongoose', 'mongodb', 'mongodb/*'],
              message: 'Mongo belongs in persistence/: use the module’s repository (or its port) instead.',
            },
            {
              group: ['**/persistence/*.schema', '**/persistence/*.schema.js'],
              message: 'Schemas belong in persistence/: import the entity from x.entity.ts instead.',
            },
            {
              group: ['../*/persistence/*', '../../*/persistence/*'],
              message: 'Another module’s persistence is its own: use its exported service or its port.',
            },
          ],
        },
      ],
    },
  },
);
