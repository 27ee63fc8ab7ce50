import { newBackupId } from '@freezeframe/common';

// Backup ids one second apart from the start of the run: unique and in order, however fast the runs go.
const base = Date.now();
let n = 0;
export function nextId(label) {
  return newBackupId(new Date(base + 1000 * n++), label);
}
export function nextDate() {
  return new Date(base + 1000 * n++);
}
