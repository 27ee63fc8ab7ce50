import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { VERSION, findBinary, run, type RunResult } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startAgentCommand, type TestAgent } from './support/agents.js';
import { buildPackages, debianTarball, DEBROOT_TOOLS, type BuiltPackages } from './support/debroot.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('packages');

// The packages as an operator gets them (docs/design.md, "Packages"): `pnpm package` builds the
// single executables and the two .debs; the executables run with no node on PATH; the .debs are
// installed with dpkg into a clean Debian 12 root made by mmdebstrap (no node, no pnpm, no
// node_modules; only what the packages depend on, and python3 for test/ansible.test.ts), and from
// that root's /usr/bin, run by chroot on loopback: the agent's --check, certificates, two agents
// (a `dir` source and a `dir` target) and a backup by the director. The build and the root come
// from test/support/debroot.ts: the root's tarball is cached under /var/cache, keyed by release
// and package list, so reruns skip mmdebstrap; the test makes it when it is missing.

const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

const skip = needsRoot('the .debs installed into a clean Debian root (chroot, mount)', [...DEBROOT_TOOLS, 'chroot', 'mount']);

const accept = Array.from({ length: 256 }, (_, i) => i);

function listening(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Every file under `dir` whose name is `name`. */
function findFiles(dir: string, name: string): string[] {
  const found: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) found.push(...findFiles(p, name));
    else if (e.name === name) found.push(p);
  }
  return found;
}

describe.skipIf(skip)('packages: single executables, and the .debs installed into a clean Debian root', () => {
  let root = '';
  let procMounted = false;
  const agents: TestAgent[] = [];
  const transcript: string[] = [];
  let pkgs: BuiltPackages;

  /** Runs a program of the Debian root as root would there: `chroot <root> <argv>`. */
  async function inRoot(argv: string[], timeoutMs = 120_000): Promise<RunResult> {
    const r = await run({ bin: findBinary('chroot'), args: [root, ...argv], env: { PATH }, timeoutMs, okExitCodes: accept });
    transcript.push(`# ${argv.join(' ')}   (exit ${r.code})\n${r.stdout}${r.stderr}`);
    return r;
  }

  beforeAll(async () => {
    const started = Date.now();
    // the build is part of what is tested: `pnpm package` runs this script
    pkgs = await buildPackages();
    const tarball = await debianTarball();
    root = mkdtempSync(join(tmpdir(), 'ff-debroot-'));
    await run({ bin: findBinary('tar'), args: ['-C', root, '-xf', tarball], timeoutMs: 120_000 });
    // node reads /proc/self/exe for its own path (the tunnel rsync starts is that path)
    await run({ bin: findBinary('mount'), args: ['-t', 'proc', 'proc', join(root, 'proc')], timeoutMs: 10_000 });
    procMounted = true;
    console.log(`package test: built and a Debian root ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 600_000);

  afterAll(async () => {
    for (const a of agents) a.proc.kill('SIGTERM');
    await Promise.all(agents.map((a) => Promise.race([a.proc.done.catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))])));
    for (const a of agents) a.proc.kill('SIGKILL');
    if (procMounted) {
      const r = await run({ bin: findBinary('umount'), args: [join(root, 'proc')], timeoutMs: 30_000, okExitCodes: accept });
      if (r.code !== 0) await run({ bin: findBinary('umount'), args: ['-l', join(root, 'proc')], timeoutMs: 30_000 });
    }
    // never remove a root whose /proc may still be mounted
    if (root && !readFileSync('/proc/self/mounts', 'utf8').includes(` ${root}/`)) rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('pnpm package builds two single executables that run without node, pnpm or node_modules', async () => {
    for (const bin of ['freezeframe', 'freezeframe-agent']) {
      const exe = join(pkgs.bin, bin);
      // no node on PATH, run from a folder with no node_modules above it
      const r = await run({ bin: '/usr/bin/env', args: ['-i', 'PATH=/usr/bin:/bin', exe, '--version'], cwd: '/', timeoutMs: 30_000, okExitCodes: accept });
      expect(r.code, `${bin} --version:\n${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout.trim()).toBe(VERSION);
      // node's single executables refuse inspector flags in NODE_OPTIONS before any code runs
      const port = await freePort();
      const q = await run({ bin: exe, args: ['--version'], env: { NODE_OPTIONS: `--inspect=127.0.0.1:${port}` }, timeoutMs: 30_000, okExitCodes: accept });
      expect(q.code, `${bin} with NODE_OPTIONS=--inspect:\n${q.stdout}${q.stderr}`).not.toBe(0);
      expect(q.stderr).toContain('is not allowed in NODE_OPTIONS');
      expect(await listening(port)).toBe(false);
    }
    expect(statSync(pkgs.director).size).toBeGreaterThan(0);
    expect(statSync(pkgs.agent).size).toBeGreaterThan(0);
  }, 120_000);

  it('dpkg installs both packages: binaries in /usr/bin, the unit running them, /etc/freezeframe root-only, conffiles', async () => {
    onTestFailed(() => console.error(transcript.join('\n')));
    expect((await inRoot(['sh', '-c', 'command -v node nodejs pnpm npm'])).stdout, 'a clean root has no node').toBe('');
    for (const deb of [pkgs.director, pkgs.agent]) copyFileSync(deb, join(root, 'tmp', deb.split('/').pop()!));
    const inst = await inRoot(['dpkg', '-i', ...[pkgs.director, pkgs.agent].map((d) => `/tmp/${d.split('/').pop()!}`)]);
    expect(inst.code, `dpkg -i:\n${inst.stdout}${inst.stderr}`).toBe(0);

    const etc = statSync(join(root, 'etc/freezeframe'));
    expect({ mode: etc.mode & 0o777, uid: etc.uid, gid: etc.gid }).toEqual({ mode: 0o700, uid: 0, gid: 0 });
    const conffiles = await inRoot(['dpkg-query', '-W', '-f=${Conffiles}\n', 'freezeframe', 'freezeframe-agent']);
    expect(conffiles.stdout).toContain('/etc/freezeframe/inventory.yaml');
    expect(conffiles.stdout).toContain('/etc/freezeframe/agent.yaml');
    const unit = readFileSync(join(root, 'lib/systemd/system/freezeframe-agent.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/freezeframe-agent --config \/etc\/freezeframe\/agent\.yaml$/m);
    expect(unit).not.toMatch(/^ExecStartPre=/m);
    // the hardening comes along unchanged
    expect(unit).toContain('ProtectSystem=strict');
    expect((await inRoot(['freezeframe-agent', '--version'])).stdout.trim()).toBe(VERSION);
  }, 120_000);

  it('from the installed binaries: certificates, --check, two agents and a backup from a dir source to a dir target', async () => {
    onTestFailed(() => console.error([...transcript, ...agents.map((a) => `--- ${a.name}\n${a.stderr.slice(-30).join('\n')}`)].join('\n')));
    const pki = '/srv/director/pki';
    expect((await inRoot(['freezeframe', 'certs', 'init', '--dir', pki])).code).toBe(0);
    for (const n of ['src-1', 'target-1']) expect((await inRoot(['freezeframe', 'certs', 'issue', '--name', n, '--ip', '127.0.0.1', '--dir', pki])).code).toBe(0);
    mkdirSync(join(root, 'srv/data/sub'), { recursive: true });
    mkdirSync(join(root, 'srv/backups'), { recursive: true });
    writeFileSync(join(root, 'srv/data/orders.db'), 'orders from the packaged source\n');
    writeFileSync(join(root, 'srv/data/sub/notes.txt'), 'a nested file\n');

    const tls = (n: string) => `tls: { ca: ${pki}/ca.pem, cert: ${pki}/${n}.pem, key: ${pki}/${n}-key.pem, crl: ${pki}/crl.pem }\n`;
    const configs = {
      // the packaged conffile's path for one of them, as an operator would
      'src-1': ['/etc/freezeframe/agent.yaml', 'source: { kind: dir, volume: /srv/data }\nfreeze: { kind: none }\n'],
      'target-1': ['/etc/freezeframe/target-1.yaml', 'target: { kind: dir, path: /srv/backups }\n'],
    } as const;
    const ports = new Map<string, number>();
    for (const [name, [file, extra]] of Object.entries(configs)) {
      writeFileSync(join(root, file), `name: ${name}\nlisten: 127.0.0.1:0\n${tls(name)}runDir: /run/ff-${name}\n${extra}`, { mode: 0o600 });
      const check = await inRoot(['freezeframe-agent', '--config', file, '--check']);
      expect(check.code, `--check ${name}:\n${check.stdout}${check.stderr}`).toBe(0);
      ports.set(name, await startAgent(name, file));
    }

    // SIGUSR1 (rsync sends it to the tunnel when it fails) opens no inspector in the packaged agent
    const defaultInspector = 9229;
    if (!(await listening(defaultInspector))) {
      process.kill(agents[0]!.proc.child.pid!, 'SIGUSR1');
      await new Promise((r) => setTimeout(r, 500));
      expect(await listening(defaultInspector), 'SIGUSR1 opened an inspector').toBe(false);
      expect(agents[0]!.proc.child.exitCode).toBeNull();
    }

    writeFileSync(
      join(root, 'srv/director/inventory.yaml'),
      `deployment: pkg\ntls: { ca: ${pki}/ca.pem, cert: ${pki}/director.pem, key: ${pki}/director-key.pem, crl: ${pki}/crl.pem }\n` +
        `nodes:\n  - { name: src-1, address: 127.0.0.1:${ports.get('src-1')} }\n  - { name: target-1, address: 127.0.0.1:${ports.get('target-1')} }\n` +
        'stateDir: /srv/director/state\n',
    );
    const inv = ['--inventory', '/srv/director/inventory.yaml'];
    const health = await inRoot(['freezeframe', ...inv, 'health']);
    expect(health.code, `health:\n${health.stdout}${health.stderr}`).toBe(0);
    const backup = await inRoot(['freezeframe', ...inv, 'backup', '--label', 'pkg'], 240_000);
    expect(backup.code, `backup:\n${backup.stdout}${backup.stderr}`).toBe(0);
    const id = /\d{8}_\d{6}-pkg/.exec(backup.stdout + backup.stderr)?.[0];
    expect(id, 'the backup names its id').toBeDefined();
    const list = await inRoot(['freezeframe', ...inv, 'list']);
    expect(list.stdout).toContain(id);

    // the files came through the packaged tunnel (rsync -> freezeframe-agent --data-tunnel)
    const stored = findFiles(join(root, 'srv/backups'), 'orders.db');
    expect(stored.length, `orders.db under /srv/backups:\n${stored.join('\n')}`).toBe(1);
    expect(readFileSync(stored[0]!, 'utf8')).toBe('orders from the packaged source\n');
    expect(readFileSync(join(dirname(stored[0]!), 'sub/notes.txt'), 'utf8')).toBe('a nested file\n');
  }, 300_000);

  it('freezeframe demo runs from the packages: its agents are the installed freezeframe-agent', async () => {
    onTestFailed(() => console.error(transcript.join('\n')));
    const demo = await inRoot(['freezeframe', 'demo', '--json'], 240_000);
    expect(demo.code, `demo:\n${demo.stdout}${demo.stderr}`).toBe(0);
    expect(JSON.parse(demo.stdout)).toMatchObject({ ok: true });
  }, 300_000);

  /** `chroot <root> /usr/bin/freezeframe-agent --config FILE`; resolves with its gRPC port. */
  async function startAgent(name: string, config: string): Promise<number> {
    const cmd = { bin: findBinary('chroot'), args: [root, '/usr/bin/freezeframe-agent', '--config', config], env: { PATH } };
    const agent = await startAgentCommand(name, cmd, { lifetimeMs: 15 * 60_000 });
    agents.push(agent);
    return agent.port;
  }
});
