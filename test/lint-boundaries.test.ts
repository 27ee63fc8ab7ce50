import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claim } from './support/claim.js';

await claim();

// The repo's eslint.config.js reports each forbidden import and an import cycle. Files are
// linted in memory, or written to a temp tree shaped like the repo (cycles need files on disk).

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
let tree: string;
let eslint: ESLint;

beforeAll(() => {
  tree = mkdtempSync(join(tmpdir(), 'ff-lint-'));
  eslint = new ESLint({ cwd: tree, overrideConfigFile: join(ROOT, 'eslint.config.js') });
});
afterAll(() => rmSync(tree, { recursive: true, force: true }));

/** The rules that fire on `code` as the file at `path` (repo-relative). */
async function fired(path: string, code: string): Promise<Array<{ rule: string | null; message: string }>> {
  const [r] = await eslint.lintText(code, { filePath: join(tree, path) });
  return r!.messages.map((m) => ({ rule: m.ruleId, message: m.message }));
}

const restricted = (message: RegExp) => [{ rule: 'no-restricted-imports', message: expect.stringMatching(message) }];

describe('eslint.config.js boundaries', () => {
  it('the engine never imports cli/, not even a type', async () => {
    expect(await fired('packages/director/src/engine/x.ts', "export { table } from '../cli/format.js';\n")).toEqual(restricted(/the engine never imports cli/));
    expect(await fired('packages/director/src/engine/sub/x.ts', "import type { CliIo } from '../../cli/program.js';\nexport type T = CliIo;\n")).toEqual(restricted(/the engine never imports cli/));
    expect(await fired('packages/director/src/engine/x.ts', "import { phases } from './phases.js';\nexport const p = phases;\n")).toEqual([]);
    expect(await fired('packages/director/src/cli/x.ts', "import { render } from '../engine/render.js';\nexport const r = render;\n")).toEqual([]);
  });

  it('agent and director never import each other; common imports neither', async () => {
    expect(await fired('packages/director/src/cli/x.ts', "import { serve } from '@freezeframe/agent';\nexport const s = serve;\n")).toEqual(restricted(/never import each other/));
    expect(await fired('packages/director/src/engine/x.ts', "import { serve } from '../../../agent/src/server.js';\nexport const s = serve;\n")).toEqual(restricted(/never import each other/));
    expect(await fired('packages/agent/src/rpc/x.ts', "import { main } from '@freezeframe/director/cli';\nexport const m = main;\n")).toEqual(restricted(/never import each other/));
    expect(await fired('packages/common/src/x.ts', "import { main } from '../../director/dist/cli/main.js';\nexport const m = main;\n")).toEqual(restricted(/common imports neither/));
    expect(await fired('packages/common/src/x.ts', "import { serve } from '@freezeframe/agent';\nexport const s = serve;\n")).toEqual(restricted(/common imports neither/));
    expect(await fired('packages/agent/src/rpc/x.ts', "import { FfError } from '@freezeframe/common';\nexport const e = FfError;\n")).toEqual([]);
  });

  it('tools never import providers or rpc/; providers never import rpc/ or gRPC', async () => {
    expect(await fired('packages/agent/src/tools/x.ts', "import { btrfs } from '../providers/source/btrfs.js';\nexport const b = btrfs;\n")).toEqual(restricted(/tools never import providers/));
    expect(await fired('packages/agent/src/tools/x.ts', "import { health } from '../rpc/health.js';\nexport const h = health;\n")).toEqual(restricted(/tools never import rpc/));
    expect(await fired('packages/agent/src/tools/x.ts', "import { run } from './run.js';\nexport const r = run;\n")).toEqual([]);
    expect(await fired('packages/agent/src/providers/source/x.ts', "import { health } from '../../rpc/health.js';\nexport const h = health;\n")).toEqual(restricted(/providers never import rpc/));
    expect(await fired('packages/agent/src/providers/target/x.ts', "import { status } from '@grpc/grpc-js';\nexport const s = status;\n")).toEqual(restricted(/providers never import rpc\/ or gRPC/));
    expect(await fired('packages/agent/src/providers/source/x.ts', "import { zfsSnapshot } from '../../tools/zfs.js';\nexport const z = zfsSnapshot;\n")).toEqual([]);
  });

  it("the engine's core/ never imports a command's module, nor cli/", async () => {
    expect(await fired('packages/director/src/engine/core/x.ts', "import { backup } from '../backup.js';\nexport const b = backup;\n")).toEqual(restricted(/core never imports a command module/));
    expect(await fired('packages/director/src/engine/core/x.ts', "import { table } from '../../cli/format.js';\nexport const t = table;\n")).toEqual(restricted(/never imports cli/));
    expect(await fired('packages/director/src/engine/core/x.ts', "import { runPhase } from './phases.js';\nexport const r = runPhase;\n")).toEqual([]);
    expect(await fired('packages/director/src/engine/x.ts', "import { runPhase } from './core/phases.js';\nexport const r = runPhase;\n")).toEqual([]);
  });

  it('tests and benchmarks import the packages by name, not by path', async () => {
    expect(await fired('test/x.test.ts', "import { zfs } from '../packages/agent/src/tools/zfs.js';\nexport const z = zfs;\n")).toEqual(restricted(/by name/));
    expect(await fired('test/support/x.ts', "import { run } from '../../packages/common/dist/index.js';\nexport const r = run;\n")).toEqual(restricted(/by name/));
    expect(await fired('bench/lib/x.mjs', "import pLimit from '../../packages/director/node_modules/p-limit/index.js';\nexport const p = pLimit;\n")).toEqual(restricted(/by name/));
    expect(await fired('test/x.test.ts', "import { zfs } from '@freezeframe/agent/tools/zfs.js';\nexport const z = zfs;\n")).toEqual([]);
  });
});

describe('eslint.config.js cycles', () => {
  it('reports an import cycle, and not a cycle made only of type imports', async () => {
    const write = (path: string, code: string) => {
      mkdirSync(dirname(join(tree, path)), { recursive: true });
      writeFileSync(join(tree, path), code);
    };
    write('packages/director/src/engine/a.ts', "import { b } from './b.js';\nexport const a = () => b();\n");
    write('packages/director/src/engine/b.ts', "import { c } from './c.js';\nexport const b = () => c();\n");
    write('packages/director/src/engine/c.ts', "import { a } from './a.js';\nexport const c = () => a();\n");
    write('packages/director/src/engine/d.ts', "import type { E } from './e.js';\nexport interface D { e?: E }\n");
    write('packages/director/src/engine/e.ts', "import type { D } from './d.js';\nexport interface E { d?: D }\n");
    const results = await eslint.lintFiles(['packages']);
    const byFile = Object.fromEntries(results.map((r) => [r.filePath.slice(tree.length + 1), r.messages.map((m) => m.ruleId)]));
    expect(byFile).toEqual({
      'packages/director/src/engine/a.ts': ['import-x/no-cycle'],
      'packages/director/src/engine/b.ts': ['import-x/no-cycle'],
      'packages/director/src/engine/c.ts': ['import-x/no-cycle'],
      'packages/director/src/engine/d.ts': [],
      'packages/director/src/engine/e.ts': [],
    });
  });
});
