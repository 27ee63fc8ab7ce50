import { beforeAll } from 'vitest';
import { claimOf } from './claim.js';

// The integration project's setup file: a file that never said what it cannot share would run
// beside anything, so it fails before its first test instead.
beforeAll(() => {
  if (claimOf() === undefined) throw new Error('this file never calls `await claim(...)` (test/support/claim.ts) as its first statement: say what it cannot share with other files');
});
