import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, run } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startAgentCommand, type TestAgent } from './support/agents.js';
import { createLoopBtrfs, type LoopBtrfs } from './support/loopfs.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('cgroup');

// A newcomer's first deployment, following the README literally: its "Deploying" and "Running
// it" sections are read from README.md and their command lines run as printed, by name from
// PATH (the wrappers scripts/install-commands.sh writes), from a shell in the director's
// folder, with relative paths. Only what loopback forces is changed, each said where it is
// done: agents listen on 127.0.0.1 with OS-chosen ports, `/etc/freezeframe/` is the folder of
// each node's config (files copied there as step 1 says), volumes live in this test's folders,
// freeze blocks become `none` (Docker and systemd units are tested in their own files), and
// step 3's systemd unit (no systemd runs here) is `freezeframe-agent --config agent.yaml`
// started from PATH (the unit's hardening is tested in test/security-systemd.test.ts).

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

/** The text of README section `## title`, up to the next `## `. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const end = readme.indexOf('\n## ', start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The shell lines of a section's code blocks that run `prefix`, without trailing comments. */
function commandLines(text: string, prefix: string): string[] {
  const lines: string[] = [];
  for (const m of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of m[1]!.split('\n')) {
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (line.startsWith(prefix)) lines.push(line);
    }
  }
  return lines;
}

const skip = needsRoot('the README walkthrough (its btrfs source is a loop-mounted file)', ['mkfs.btrfs', 'btrfs', 'losetup']);

describe.skipIf(skip)("the README's deploy and run sections, followed literally on loopback", () => {
  let root = '';
  let fs: LoopBtrfs | undefined;
  const agents: TestAgent[] = [];
  let env: Record<string, string> = {};
  const director = () => join(root, 'director');
  const transcript: string[] = [];

  /** Runs one README line with `sh -c` in `cwd`; resolves with its exit code and output. */
  async function shell(line: string, cwd: string) {
    const r = await run({ bin: findBinary('sh'), args: ['-c', line], cwd, env, timeoutMs: 180_000, okExitCodes: Array.from({ length: 256 }, (_, i) => i) });
    transcript.push(`$ ${line}   (in ${cwd}, exit ${r.code})\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** A node's folder standing for its /etc/freezeframe: the four files step 1 says to copy. */
  function etcOf(node: string): string {
    const etc = join(root, node, 'etc');
    mkdirSync(etc, { recursive: true, mode: 0o700 });
    for (const f of ['ca.pem', 'crl.pem', `${node}.pem`, `${node}-key.pem`]) copyFileSync(join(director(), 'pki', f), join(etc, f));
    chmodSync(join(etc, `${node}-key.pem`), 0o600);
    return etc;
  }

  /** The example config of `file` with the loopback changes, written as `<node>/etc/agent.yaml`. */
  function agentConfig(file: string, paths: Record<string, string>): string {
    let text = readFileSync(join(repo, 'examples', file), 'utf8');
    const node = /^name: (\S+)$/m.exec(text)![1]!;
    text = text
      .replace(/^listen: .*$/m, 'listen: 127.0.0.1:0')
      .replaceAll('/etc/freezeframe/', '')
      .replace(/^freeze:\n(?: {2}.*\n)*/m, 'freeze: { kind: none }\n');
    for (const [from, to] of Object.entries(paths)) text = text.replaceAll(`: ${from}\n`, `: ${to}\n`);
    text += `runDir: ${join(root, node, 'run')}\n`;
    const config = join(etcOf(node), 'agent.yaml');
    writeFileSync(config, text, { mode: 0o600 });
    return config;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-readme-'));
    const bin = join(root, 'bin');
    mkdirSync(bin);
    mkdirSync(director());
    await run({ bin: join(repo, 'scripts/install-commands.sh'), args: [], env: { FREEZEFRAME_BIN_DIR: bin }, timeoutMs: 60_000 });
    env = { PATH: `${bin}:${dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin` };
    fs = await createLoopBtrfs({ prefix: 'ff-readme-btrfs-' });
    await run({ bin: findBinary('btrfs'), args: ['subvolume', 'create', join(fs.mountPoint, 'docker_local')], timeoutMs: 30_000 });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      agents.map(async (a) => {
        a.proc.kill('SIGTERM');
        await Promise.race([a.proc.done.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
        a.proc.kill('SIGKILL');
      }),
    );
    await fs?.destroy();
    if (root) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('deploys: certificates with relative paths, the example configs pass --check, the agents start', async () => {
    onTestFailed(() => console.error(transcript.join('\n')));
    const certLines = commandLines(section('Deploying'), 'freezeframe certs ');
    expect(certLines.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['freezeframe certs init', 'freezeframe certs issue']);
    for (const line of certLines) expect((await shell(line, director())).code, line).toBe(0);
    // "one per agent": the printed line again for the other nodes of the example inventory
    const issue = certLines[1]!;
    for (const [n, ip] of [['backup-target', '10.0.0.92'], ['manager-1', '10.0.0.11']] as const) {
      const line = issue.replace('cassandra-1', n).replace(/--ip \S+/, `--ip ${ip}`);
      expect((await shell(line, director())).code, line).toBe(0);
    }

    const configs = [
      agentConfig('agent-target-dir.yaml', { '/srv/backups': join(root, 'backup-target', 'backups') }),
      agentConfig('agent-source-cgroup.yaml', { '/srv/manager': join(root, 'manager-1', 'srv') }),
      agentConfig('agent-source-btrfs.yaml', {
        '/docker_local': join(fs!.mountPoint, 'docker_local'),
        '/local_backupsource': join(fs!.mountPoint, 'local_backupsource'),
      }),
    ];
    mkdirSync(join(root, 'backup-target', 'backups'), { recursive: true });
    mkdirSync(join(root, 'manager-1', 'srv'), { recursive: true });
    writeFileSync(join(root, 'manager-1', 'srv', 'orders.db'), 'manager data\n');
    writeFileSync(join(fs!.mountPoint, 'docker_local', 'table.db'), 'cassandra data v1\n');

    const check = commandLines(section('Deploying'), 'freezeframe-agent ');
    expect(check, 'the README shows how to check a config').toEqual(['freezeframe-agent --config /etc/freezeframe/agent.yaml --check']);
    for (const config of configs) {
      const line = check[0]!.replaceAll('/etc/freezeframe/', '');
      const r = await shell(line, dirname(config));
      expect(r.code, `${line} for ${config}:\n${r.stdout}${r.stderr}`).toBe(0);
    }

    const ports = new Map<string, number>();
    for (const config of configs) {
      const name = /^name: (\S+)$/m.exec(readFileSync(config, 'utf8'))![1]!;
      ports.set(name, await startAgent(name, config));
    }

    // step 4: the example inventory, its addresses those the agents got, state beside it
    const inventory = readFileSync(join(repo, 'examples', 'inventory.yaml'), 'utf8')
      .replace(/address: 10\.0\.0\.92:7450/, `address: 127.0.0.1:${ports.get('backup-target')}`)
      .replace(/address: 10\.0\.0\.11:7450/, `address: 127.0.0.1:${ports.get('manager-1')}`)
      .replace(/address: 10\.0\.0\.21:7450/, `address: 127.0.0.1:${ports.get('cassandra-1')}`);
    writeFileSync(join(director(), 'inventory.yaml'), `${inventory}stateDir: state\n`);
  }, 180_000);

  it('runs: health, a backup, list, show, a restore of cassandra-1 that undoes a change, pause and unpause', async () => {
    onTestFailed(() => console.error([...transcript, ...agents.map((a) => `--- ${a.name}\n${a.stderr.slice(-20).join('\n')}`)].join('\n')));
    const block = section('Running it');
    const exported = /^export FREEZEFRAME_INVENTORY=(\S+)$/m.exec(block);
    expect(exported, 'the README sets FREEZEFRAME_INVENTORY').not.toBeNull();
    env = { ...env, FREEZEFRAME_INVENTORY: 'inventory.yaml' }; // relative, in the director's folder
    const volume = join(fs!.mountPoint, 'docker_local', 'table.db');
    let id = '';
    const lines = commandLines(block, 'freezeframe ');
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const printed of lines) {
      // `freezeframe pause / unpause` is two commands
      const cmds = printed.includes(' / ') ? printed.split(' / ').map((c, i) => (i === 0 ? c : `freezeframe ${c}`)) : [printed];
      for (let line of cmds) {
        const verb = line.split(' ')[1];
        if (verb === 'show') line = line.replace(/\d{8}_\d{6}-\S+/, id); // the example id becomes the backup's
        if (verb === 'restore') writeFileSync(volume, 'cassandra data v2, written after the backup\n');
        const r = await shell(line, director());
        expect(r.code, `${line}:\n${r.stdout}${r.stderr}`).toBe(0);
        if (verb === 'backup') {
          id = /\d{8}_\d{6}-nightly/.exec(r.stdout + r.stderr)?.[0] ?? '';
          expect(id, 'the backup names its id').not.toBe('');
        }
        if (verb === 'list' || verb === 'show') expect(r.stdout).toContain(id);
        if (verb === 'restore') expect(readFileSync(volume, 'utf8')).toBe('cassandra data v1\n');
      }
    }
    expect(id).not.toBe('');
  }, 300_000);

  /** `freezeframe-agent --config agent.yaml` from PATH in the config's folder; resolves with its port. */
  async function startAgent(name: string, config: string): Promise<number> {
    const cmd = { bin: join(root, 'bin', 'freezeframe-agent'), args: ['--config', 'agent.yaml'], cwd: dirname(config), env };
    const agent = await startAgentCommand(name, cmd, { lifetimeMs: 20 * 60_000 });
    agents.push(agent);
    return agent.port;
  }
});
