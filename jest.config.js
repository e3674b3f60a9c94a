/** Two tiers: `unit` needs only Node; `integration` starts real programs (terraform, servers). */
const transform = {
  '^.+\\.ts$': '<rootDir>/test/transform.js',
  '/node_modules/jose/.+\\.js$': '<rootDir>/test/transform.js',
};

const common = {
  transform,
  testEnvironment: 'node',
  setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // jose ships only ES modules; everything else in node_modules is CommonJS. (PGlite's CommonJS
  // build imports Node built-ins with import(), hence --experimental-vm-modules in the scripts.)
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
};

/** @type {import('jest').Config} */
module.exports = {
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
