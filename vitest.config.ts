import { defineConfig } from 'vitest/config';
import { ClaimOrder } from './test/support/claim-order.js';

// Unit tests sit next to the code and need no root; integration tests in test/ start real
// agents, engines, pools and filesystems. One `vitest run` runs both; the last line is the summary.
export default defineConfig({
  test: {
    // Two files at a time, on any machine: CI's has two cores, and half of them idled while the
    // files ran one by one. The integration files claim what they cannot share (test/support/claim.ts).
    maxWorkers: 2,
    sequence: { sequencer: ClaimOrder },
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
          setupFiles: ['test/support/claim-check.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
    reporters: ['default'],
  },
});
