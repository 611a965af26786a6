/** @type {import('jest').Config} */
const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
};

/** @type {import('jest').Config} */
module.exports = {
  // The e2e suite starts real processes and fires real bursts.
  testTimeout: 120_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      rootDir: 'src',
      testRegex: '\\.spec\\.ts$',
    },
    {
      ...common,
      // The data layer (repositories, SQL functions, migrations) against PostgreSQL, without HTTP.
      displayName: 'integration',
      rootDir: '.',
      testMatch: ['<rootDir>/test/integration/**/*.integration-spec.ts'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // A PostgreSQL server for the whole run: TEST_DATABASE_URL, else an embedded one.
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
    {
      ...common,
      // Faults on purpose: killed instances, a stopped PostgreSQL, hostile input. Not in `npm test`.
      displayName: 'reliability',
      rootDir: '.',
      testMatch: ['<rootDir>/test/reliability/*.reliability-spec.ts'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
    {
      ...common,
      // The image built from the Dockerfile, and the compose stack, run by a Docker engine
      // (.ci/run builds the image first). Not in `npm test`.
      displayName: 'container',
      rootDir: '.',
      testMatch: ['<rootDir>/test/container/*.container-spec.ts'],
      globalSetup: '<rootDir>/test/utils/global-setup.ts',
      globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
    },
  ],
};
