import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits for something the app does asynchronously (a live update, a worker); 1 s,
    // vitest's default, is too short on a busy CI machine. A failing poll still fails, later.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // The suite runs once per database (see .ci/run); TEST_DATABASE_URL picks PostgreSQL.
    reporters: ['default'],
  },
})
