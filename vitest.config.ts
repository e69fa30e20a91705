import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The suite runs once per database (see .ci/run); TEST_DATABASE_URL picks PostgreSQL.
    reporters: ['default'],
  },
})
