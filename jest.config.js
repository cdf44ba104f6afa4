const moduleNameMapper = {
  '^@app/(common|persistence|ai)$': '<rootDir>/libs/$1/src/index.ts',
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
const transform = { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }] };
const shared = { testEnvironment: 'node', rootDir: '.', moduleFileExtensions: ['ts', 'js', 'json'], extensionsToTreatAsEsm: ['.ts'], transform, moduleNameMapper };

export default {
  // Several tests start a server twice; on a loaded 2-core machine one start has taken up to a minute.
  testTimeout: 120_000,
  // Two suites at a time (jest's default is one on a 2-core machine): every e2e suite has its own server, port and
  // database (and its own Redis when it kills one), and much of a suite's time is spent waiting on streams.
  maxWorkers: 2,
  // The slowest suites first, also on a fresh clone, where jest has no durations of its own to go by.
  testSequencer: '<rootDir>/test/slow-first.sequencer.js',
  reporters: ['default', '<rootDir>/test/skipped-suites.reporter.js'],
  // Both projects' suites copy the databases it migrates once (test/helpers/database-templates.ts).
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/apps/', '<rootDir>/libs/', '<rootDir>/deploy/', '<rootDir>/bench/'],
      testRegex: '.*\\.spec\\.ts$',
      // Portkey's install (the bench's peer) is not ours to test or map.
      modulePathIgnorePatterns: ['<rootDir>/bench/peers/'],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test/'],
      testRegex: '.*\\.e2e-spec\\.ts$',
    },
  ],
};
