import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code and need no root; integration tests in test/ start real
// agents, engines, pools and filesystems. One `vitest run` runs both; the last line is the summary.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          sequence: { groupOrder: 0 },
          include: ['packages/*/src/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          // after the unit tests, never beside them: the beds load the machine
          sequence: { groupOrder: 1 },
          include: ['test/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // the integration beds share a Docker engine, iptables chains and loop devices
          fileParallelism: false,
        },
      },
    ],
    reporters: ['default'],
  },
});
