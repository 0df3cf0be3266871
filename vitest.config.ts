import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI the tests start is the compiled one: built once here.
    globalSetup: ['test/global-setup.ts'],
    // sharp and real sockets behave best in child processes rather than worker threads.
    pool: 'forks',
    // Both cores: the long files (crash, faults, walkthrough) mostly wait on child processes and the sandbox.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // CI reads the JSON report to print its closing "N passed, N failed" line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
  },
});
