#!/usr/bin/env node
// Generates TypeScript types for proto/ into packages/common/src/generated/ with
// proto-loader-gen-types. `--check` regenerates into a temp folder and fails if the
// committed output differs (generated code is never edited by hand).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'packages/common/src/generated');
const check = process.argv.includes('--check');
const bin = join(root, 'packages/common/node_modules/.bin/proto-loader-gen-types');

function generate(dir) {
  const r = spawnSync(
    bin,
    ['freezeframe/v1/agent.proto', '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs',
      '--includeComments', '--grpcLib=@grpc/grpc-js', '--importFileExtension=.js', '--outDir', dir,
      '--includeDirs', 'proto'],
    { stdio: 'inherit', cwd: root },
  );
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

if (!check) {
  rmSync(outDir, { recursive: true, force: true });
  generate(outDir);
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'ff-gen-'));
  try {
    generate(tmp);
    const want = files(tmp).map((f) => relative(tmp, f)).sort();
    const have = files(outDir).map((f) => relative(outDir, f)).sort();
    const differ = want.filter((f) => !have.includes(f) || readFileSync(join(tmp, f), 'utf8') !== readFileSync(join(outDir, f), 'utf8'));
    const extra = have.filter((f) => !want.includes(f));
    if (differ.length || extra.length) {
      console.error(`generated protocol types are out of date (${[...differ, ...extra].join(', ')}): run pnpm gen`);
      process.exit(1);
    }
    console.log('generated protocol types are up to date');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
