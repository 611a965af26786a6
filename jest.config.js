/** @type {import('jest').Config} */
const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  testEnvironment: 'node',
};

/** A PostgreSQL server for the whole run: TEST_DATABASE_URL, else an embedded one. */
const withPostgres = {
  ...common,
  rootDir: '.',
  globalSetup: '<rootDir>/test/utils/global-setup.ts',
  globalTeardown: '<rootDir>/test/utils/global-teardown.ts',
};

/** @type {import('jest').Config} */
module.exports = {
  // The e2e suite fires a burst of 10000 requests; the reliability suite waits out outages.
  testTimeout: 120_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      rootDir: 'src',
      testRegex: '\\.spec\\.ts$',
    },
    {
      ...withPostgres,
      // The data layer against a real database, without HTTP.
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.integration-spec.ts'],
    },
    {
      ...withPostgres,
      // The real AppModule in this process, through HTTP.
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
    {
      ...withPostgres,
      // The production build as processes: start-up failures, signals, killed instances, a
      // stopped PostgreSQL, hostile input, several instances at once. Not in `npm test`.
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/*.reliability-spec.ts'],
    },
    {
      ...withPostgres,
      // The image built from the Dockerfile, and the compose stack, run by a Docker engine
      // (.ci/run builds the image first). Not in `npm test`.
      displayName: 'container',
      testMatch: ['<rootDir>/test/container/*.container-spec.ts'],
    },
  ],
};
