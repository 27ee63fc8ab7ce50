import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A stand-in for `systemctl` (no systemd runs here): a small Node program that appends its argv
 * to `calls.log` (one JSON array a line) and keeps each unit's state in `units/<unit>`
 * (`active` or `inactive`; a unit without a file does not exist). It answers as systemctl does:
 * `is-active` prints the state and exits 0 (active) or 3 (inactive), 4 for no such unit;
 * `stop` and `start` take several units and change them all, or fail with 5 naming the first
 * unknown one and change none.
 */
export interface FakeSystemctl {
  bin: string;
  /** Every call so far, each as its argv. */
  calls(): string[][];
  clearCalls(): void;
  state(unit: string): string;
  set(unit: string, state: 'active' | 'inactive'): void;
}

export function writeFakeSystemctl(root: string): FakeSystemctl {
  const bin = join(root, 'systemctl');
  const log = join(root, 'calls.log');
  const units = join(root, 'units');
  writeFileSync(
    bin,
    `#!/usr/bin/node
const fs = require('node:fs');
const path = require('node:path');
const UNITS = ${JSON.stringify(units)};
const argv = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(argv) + '\\n');
const file = (u) => path.join(UNITS, path.basename(u));
const state = (u) => { try { return fs.readFileSync(file(u), 'utf8').trim(); } catch { return undefined; } };
const [verb, ...names] = argv;
if (verb === 'is-active') {
  const s = state(names[0]);
  if (s === undefined) { process.stdout.write('inactive\\n'); process.stderr.write('Unit ' + names[0] + ' could not be found.\\n'); process.exit(4); }
  process.stdout.write(s + '\\n');
  process.exit(s === 'active' ? 0 : 3);
}
if (verb === 'stop' || verb === 'start') {
  const unknown = names.find((u) => state(u) === undefined);
  if (unknown) { process.stderr.write('Failed to ' + verb + ' ' + unknown + ': Unit ' + unknown + ' not loaded.\\n'); process.exit(5); }
  for (const u of names) fs.writeFileSync(file(u), (verb === 'start' ? 'active' : 'inactive') + '\\n');
  process.exit(0);
}
process.stderr.write('fake systemctl: unknown verb ' + verb + '\\n');
process.exit(1);
`,
  );
  chmodSync(bin, 0o755);
  writeFileSync(log, '');
  mkdirSync(units, { recursive: true });
  return {
    bin,
    calls: () =>
      readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]),
    clearCalls: () => writeFileSync(log, ''),
    state: (unit) => readFileSync(join(units, unit), 'utf8').trim(),
    set: (unit, state) => writeFileSync(join(units, unit), `${state}\n`),
  };
}
