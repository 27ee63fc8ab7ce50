import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// scripts/setup.sh ends with scripts/install-commands.sh, which puts `freezeframe` and
// `freezeframe-agent` on PATH. These tests run that script, then the commands by name from
// another folder with nothing in the environment but PATH and a NODE_OPTIONS that node would
// fail on if the commands passed it on. Needs the build (`tsc --build`).

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = join(root, 'scripts/install-commands.sh');
const MARKER = '# freezeframe command wrapper';
const BIN = '/usr/local/bin';
const NAMES = ['freezeframe', 'freezeframe-agent'] as const;
const POISON = '--require /nonexistent/freezeframe-poison.cjs';

function versionOf(pkg: string): string {
  return (JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8')) as { version: string }).version;
}

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` (a bare name is looked up in env.PATH) with exactly `env`, from `/`. */
function exec(cmd: string, args: string[], env: Record<string, string>): Ran {
  const r = spawnSync(cmd, args, { env, cwd: '/', encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const skipRoot = needsRoot('commands on PATH in /usr/local/bin');

describe.skipIf(skipRoot)('scripts/install-commands.sh puts freezeframe and freezeframe-agent on PATH', () => {
  const env = { PATH: `${BIN}:/usr/bin:/bin` };
  /** What each name was before the test: its bytes and mode, or undefined when it did not exist. */
  const before = new Map<string, { data: Buffer; mode: number } | undefined>();

  beforeAll(() => {
    for (const n of NAMES) {
      const p = join(BIN, n);
      const st = lstatSync(p, { throwIfNoEntry: false });
      before.set(n, st?.isFile() ? { data: readFileSync(p), mode: st.mode & 0o7777 } : undefined);
    }
  });
  afterAll(() => {
    // only what the test changed is put back: a wrapper it created goes, one it replaced returns
    for (const n of NAMES) {
      const p = join(BIN, n);
      const was = before.get(n);
      if (!existsSync(p) || !readFileSync(p, 'utf8').includes(MARKER)) continue;
      if (was === undefined) rmSync(p);
      else if (!was.data.equals(readFileSync(p))) writeFileSync(p, was.data, { mode: was.mode });
    }
  });

  it('installs wrappers that run this checkout, by name from PATH, without NODE_OPTIONS', () => {
    const r = exec(SCRIPT, [], env);
    expect(r.status, r.stderr).toBe(0);
    for (const n of NAMES) {
      const text = readFileSync(join(BIN, n), 'utf8');
      expect(text).toContain(`${MARKER}: runs ${n} of the checkout ${root}`);
      expect(text).toContain('exec env -u NODE_OPTIONS node ');
      expect(statSync(join(BIN, n)).mode & 0o777).toBe(0o755);
    }
    // the built files run by themselves too (#! line)
    expect(statSync(join(root, 'packages/director/dist/cli/main.js')).mode & 0o111).toBe(0o111);
    expect(statSync(join(root, 'packages/agent/dist/main.js')).mode & 0o111).toBe(0o111);
    expect(exec('sh', ['-c', 'for c in freezeframe freezeframe-agent; do command -v $c; done'], env).stdout).toBe(`${BIN}/freezeframe\n${BIN}/freezeframe-agent\n`);

    const scrubbed = { ...env, NODE_OPTIONS: POISON };
    const help = exec('freezeframe', ['--help'], scrubbed);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: freezeframe \[options\] \[command\]/);
    expect(help.stdout).toMatch(/^ {2}backup \[options\]/m);
    expect(help.stdout).toMatch(/^ {2}restore \[options\] <id>/m);
    expect(exec('freezeframe', ['--version'], scrubbed)).toMatchObject({ status: 0, stdout: `${versionOf('director')}\n` });
    const agentHelp = exec('freezeframe-agent', ['--help'], scrubbed);
    expect(agentHelp.status, agentHelp.stderr).toBe(0);
    expect(agentHelp.stdout).toMatch(/^usage: freezeframe-agent --config FILE \[--check\]/);
    expect(exec('freezeframe-agent', ['--version'], scrubbed)).toMatchObject({ status: 0, stdout: `${versionOf('agent')}\n` });
  });

  it('changes nothing and says nothing when the wrappers are in place', () => {
    const stats = NAMES.map((n) => statSync(join(BIN, n)));
    const r = exec(SCRIPT, [], env);
    expect(r).toEqual({ status: 0, stdout: '', stderr: '' });
    NAMES.forEach((n, i) => {
      const st = statSync(join(BIN, n));
      expect([st.ino, st.mtimeMs], n).toEqual([stats[i]!.ino, stats[i]!.mtimeMs]);
    });
  });
});

describe('scripts/install-commands.sh in a folder of its own', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ff-commands-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("replaces another checkout's wrapper and leaves a file of its own alone", () => {
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    const other = `#!/bin/sh\n${MARKER}: runs freezeframe of the checkout /srv/other\nexec env -u NODE_OPTIONS node '/srv/other/packages/director/dist/cli/main.js' "$@"\n`;
    const mine = '#!/bin/sh\necho my own freezeframe-agent\n';
    writeFileSync(join(bin, 'freezeframe'), other, { mode: 0o755 });
    writeFileSync(join(bin, 'freezeframe-agent'), mine, { mode: 0o755 });
    const r = exec(SCRIPT, [], { PATH: '/usr/bin:/bin', FREEZEFRAME_BIN_DIR: bin });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(join(bin, 'freezeframe'), 'utf8')).toContain(`of the checkout ${root}\n`);
    expect(readFileSync(join(bin, 'freezeframe-agent'), 'utf8')).toBe(mine);
    expect(r.stderr).toContain(`${bin}/freezeframe-agent exists and is not a freezeframe wrapper: left alone`);
    const v = exec('freezeframe', ['--version'], { PATH: `${bin}:/usr/bin:/bin`, NODE_OPTIONS: POISON });
    expect(v).toMatchObject({ status: 0, stdout: `${versionOf('director')}\n` });
  });

  it('without write access to the folder prints how to add them and succeeds', () => {
    // a copy of the script in a checkout of its own that any user can read, so that `nobody`
    // runs it wherever this checkout lives
    const fake = join(tmp, 'checkout');
    for (const d of ['scripts', 'packages/director/dist/cli', 'packages/agent/dist']) mkdirSync(join(fake, d), { recursive: true });
    copyFileSync(SCRIPT, join(fake, 'scripts/install-commands.sh'));
    for (const f of ['scripts/install-commands.sh', 'packages/director/dist/cli/main.js', 'packages/agent/dist/main.js']) {
      if (!existsSync(join(fake, f))) writeFileSync(join(fake, f), '');
      chmodSync(join(fake, f), 0o755);
    }
    const bin = join(tmp, 'locked');
    mkdirSync(bin, { mode: 0o555 });
    chmodSync(bin, 0o555);
    for (const d of [tmp, fake]) chmodSync(d, 0o755);
    const script = join(fake, 'scripts/install-commands.sh');
    const env = { PATH: '/usr/bin:/bin', FREEZEFRAME_BIN_DIR: bin };
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const r = process.getuid?.() === 0 ? exec('setpriv', [...asNobody, script], env) : exec(script, [], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`setup: cannot write ${bin}, so freezeframe and freezeframe-agent are not on PATH`);
    expect(r.stderr).toContain(`  ${fake}/scripts/install-commands.sh\n`);
    expect(r.stderr).toContain(`  FREEZEFRAME_BIN_DIR=$HOME/.local/bin ${fake}/scripts/install-commands.sh\n`);
    expect(existsSync(join(bin, 'freezeframe'))).toBe(false);
  });
});
