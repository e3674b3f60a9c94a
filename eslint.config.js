// One lint + format setup for the whole repository: ESLint with typescript-eslint, and Prettier
// run as an ESLint rule (its options live under "prettier" in package.json, where editors find them).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const prettierRecommended = require('eslint-plugin-prettier/recommended');
const packageBoundaries = require('./.ci/eslint-package-boundaries');

module.exports = tseslint.config(
  {
    ignores: [
      '**/node_modules/',
      '**/lib/',
      'dist/',
      'cdktf.out/',
      'cdk8s.out/',
      'coverage/',
      '.scratch/',
      'constructs/k8s/imports/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The three packages stay installable on their own (see .ci/eslint-package-boundaries.js).
    files: ['constructs/**/*.ts', 'stacks/**/*.ts', 'app/**/*.ts', 'bin/**/*.ts', 'server/**/*.ts'],
    ignores: ['constructs/k8s/imports/**'],
    plugins: { mcpenv: { rules: { 'package-boundaries': packageBoundaries } } },
    rules: { 'mcpenv/package-boundaries': 'error' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['bench/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  prettierRecommended,
);
