// Process purity (HOUSE rule 1) is enforced here: each area may import only what its
// process can hold. `test/lint-boundaries.test.ts` proves a forbidden import fails.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import importCycles from './scripts/lint/import-cycles.js';

const nodeBuiltins = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'fs/promises',
  'http',
  'http2',
  'https',
  'module',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'tls',
  'tty',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

const electronOnlyIn = (names, area) => ({
  name: 'electron',
  importNames: names,
  message: `${names.join(', ')} belong to ${area} only (HOUSE rule 1).`,
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    // HOUSE rule 16; `test/lint-boundaries.test.ts` proves a cycle (type-only too) fails.
    files: ['**/*.{ts,tsx}'],
    plugins: { cavra: importCycles },
    rules: { 'cavra/no-import-cycles': 'error' },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['core/**/*.ts'],
    ignores: ['core/contract/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'core/ never imports electron (HOUSE rule 1).' },
            { name: 'react', message: 'core/ never imports react (HOUSE rule 1).' },
            { name: 'react-dom', message: 'core/ never imports react-dom (HOUSE rule 1).' },
          ],
          patterns: [
            {
              group: ['electron/*', 'react/*', 'react-dom/*'],
              message: 'core/ never imports UI or Electron code (HOUSE rule 1).',
            },
            {
              group: ['**/main/**', '**/preload/**', '**/renderer/**', '**/cli/**'],
              message: 'core/ never imports the shells (HOUSE rule 1).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['core/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(?!zod$|\\./[\\w-]+$)',
              message: 'core/contract imports zod only (HOUSE layout).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'renderer/ never imports electron (HOUSE rule 1).' },
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'renderer/ never imports Node built-ins (HOUSE rule 1).',
            })),
          ],
          patterns: [
            { group: ['node:*'], message: 'renderer/ never imports Node built-ins (HOUSE rule 1).' },
            { group: ['electron/*'], message: 'renderer/ never imports electron (HOUSE rule 1).' },
            {
              group: ['**/core/**', '!**/core/contract', '!**/core/contract/**'],
              message: 'renderer/ imports only core/contract from the core (HOUSE rule 1).',
            },
            {
              group: ['**/main/**', '**/preload/**', '**/cli/**'],
              message: 'renderer/ never imports other processes (HOUSE rule 1).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyIn(['ipcMain', 'protocol', 'session', 'BrowserWindow', 'app'], 'main/')],
          patterns: [
            {
              group: ['**/core/**', '!**/core/contract', '!**/core/contract/names'],
              message: 'preload/ imports only contract names (HOUSE rule 1).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyIn(['contextBridge', 'ipcRenderer'], 'preload/')],
        },
      ],
    },
  },
  {
    // Tests may name Electron's types to build the stand-ins they mock; nothing here loads it.
    files: ['cli/**/*.ts', 'scripts/**/*.{ts,mjs,js}', 'test/**/*.ts', 'e2e/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'Only main/ and preload/ import electron (HOUSE rule 1).',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
