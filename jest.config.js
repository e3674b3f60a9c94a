/** Two tiers: `unit` needs only Node; `integration` starts real programs (terraform, servers). */
const transform = { '^.+\\.ts$': '<rootDir>/test/transform.js' };

const common = {
  transform,
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Lazy imports in the CLI name compiled files (`./x.js`); in tests they are the `.ts` sources.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Workspace packages resolve to their TypeScript sources, as tsconfig's customConditions do.
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons', 'mcpenv-source'] },
};

/** @type {import('jest').Config} */
module.exports = {
  // Jest's default, one worker fewer than cores, leaves a 2-core machine a single worker; the
  // files are independent (temporary folders, random ports), so use every core.
  maxWorkers: '100%',
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
  ],
};
