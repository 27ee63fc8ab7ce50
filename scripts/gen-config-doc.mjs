#!/usr/bin/env node
// Writes docs/config.md, the reference of every agent config and inventory key, from the zod
// schemas (packages/common/src/config.ts) and the key texts (packages/common/src/config-keys.ts).
// Needs the built common package (`pnpm gen:config-doc` builds it first). `--check` writes
// nothing and fails if docs/config.md differs. A key without a description, a text for a key that
// does not exist, or an example the schema refuses fails with the list of them.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigDocError, renderConfigDoc } from '../packages/common/dist/config-doc.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(root, 'docs/config.md');

let text;
try {
  text = renderConfigDoc();
} catch (e) {
  if (!(e instanceof ConfigDocError)) throw e;
  console.error(e.message);
  process.exit(1);
}
let current = '';
try {
  current = readFileSync(file, 'utf8');
} catch (e) {
  if (e.code !== 'ENOENT') throw e;
}
if (process.argv.includes('--check')) {
  if (current !== text) {
    console.error('docs/config.md is out of date: run pnpm gen:config-doc');
    process.exit(1);
  }
  console.log('docs/config.md is up to date');
} else if (current === text) {
  console.log('docs/config.md is up to date');
} else {
  writeFileSync(file, text);
  console.log('wrote docs/config.md');
}
