import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION, findBinary, run, type RunResult } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { buildPackages, debianTarball, DEBROOT_TOOLS, type BuiltPackages } from './support/debroot.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim('docker', 'packages', 'zfs');

// The Ansible roles of deploy/ansible (deploy/ansible/README.md): site.yml passes
// `ansible-playbook --syntax-check` and ansible-lint (its production profile, offline), and a
// real run of site.yml, unchanged, installs the packages `pnpm package` built into two
// containers of a private Docker engine made from the clean Debian 12 root of the package test
// (test/support/debroot.ts), over Ansible's docker connection (community.docker.docker): the
// director role in one (package, CA and certificates, inventory, backup timer), the agent role
// in the other (package, certificate from the director, agent.yaml checked by
// `freezeframe-agent --check`, the unit's drop-in). The director then runs `freezeframe health`
// against the agent. A second run changes nothing.
// What differs from a real host: no systemd runs in the containers, so the role does not enable
// the unit (that task runs only where systemd is the service manager) and starts the agent with
// start-stop-daemon instead (freezeframe_agent_start_without_systemd), and the backup timer is
// written but not enabled; `become` is off (docker exec is root already, and the root has no
// sudo); docker exec instead of ssh. The agent's container shares the director's network
// namespace (`--network container:`), so the director reaches it on 127.0.0.1 and dockerd needs
// no iptables. ansible-playbook runs in deploy/ansible, so its ansible.cfg (pipelining) applies.

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ansibleDir = join(repo, 'deploy/ansible');

const skip = needsRoot('Ansible roles run against containers of a private Docker engine', [
  'ansible-playbook',
  'ansible-lint',
  'dockerd',
  'docker',
  ...DEBROOT_TOOLS,
]);

const accept = Array.from({ length: 256 }, (_, i) => i);

/** `host : ok=N changed=N ...` lines of a PLAY RECAP, by host. */
function recap(out: string): Map<string, Record<string, number>> {
  const hosts = new Map<string, Record<string, number>>();
  const at = out.lastIndexOf('PLAY RECAP');
  for (const line of out.slice(at).split('\n').slice(1)) {
    const m = /^(\S+)\s+:\s+(ok=\d+.*)$/.exec(line.trim());
    if (!m) continue;
    hosts.set(m[1]!, Object.fromEntries([...m[2]!.matchAll(/(\w+)=(\d+)/g)].map((x) => [x[1]!, Number(x[2])])));
  }
  return hosts;
}

describe.skipIf(skip)('deploy/ansible: the roles, linted, and run against containers of the Debian root', () => {
  let work = '';
  let engine: Dockerd | undefined;
  let pkgs: BuiltPackages;
  const transcript: string[] = [];
  const DIRECTOR = 'ffans-director';
  const AGENT = 'ffans-agent';

  /** Ansible's programs with a private home and cache, no colors, and the private engine. */
  async function ansible(bin: string, args: string[], cwd = ansibleDir, timeoutMs = 240_000): Promise<RunResult> {
    const r = await run({
      bin: findBinary(bin),
      args,
      cwd,
      timeoutMs,
      okExitCodes: accept,
      maxStdout: 4 << 20,
      env: {
        HOME: join(work, 'home'),
        XDG_CACHE_HOME: join(work, 'cache'),
        LANG: 'C.UTF-8',
        LC_ALL: 'C.UTF-8',
        ANSIBLE_NOCOLOR: '1',
        ANSIBLE_RETRY_FILES_ENABLED: 'false',
        // task times in the transcript
        ANSIBLE_CALLBACKS_ENABLED: 'ansible.posix.profile_tasks',
        ANSIBLE_LOCAL_TEMP: join(work, 'ansible-tmp'),
        ...(engine ? { DOCKER_HOST: engine.host, DOCKER_CONFIG: join(work, 'docker-cli') } : {}),
      },
    });
    transcript.push(`# ${bin} ${args.join(' ')}   (exit ${r.code})\n${r.stdout}${r.stderr}`);
    return r;
  }

  /** `docker exec <container> <argv>`; resolves with its output and exit code. */
  async function exec(container: string, argv: string[]): Promise<RunResult> {
    const r = await run({ bin: findBinary('docker'), args: ['exec', container, ...argv], env: { DOCKER_HOST: engine!.host, DOCKER_CONFIG: join(work, 'docker-cli') }, timeoutMs: 120_000, okExitCodes: accept });
    transcript.push(`# docker exec ${container} ${argv.join(' ')}   (exit ${r.code})\n${r.stdout}${r.stderr}`);
    return r;
  }

  beforeAll(async () => {
    const started = Date.now();
    work = await mkdtemp('/tmp/ffans-');
    await mkdir(join(work, 'home'));
    // the build is CPU-bound, the image import mostly I/O: side by side
    const containers = async (): Promise<void> => {
      const tarball = await debianTarball();
      engine = await startDockerd({ dir: join(work, 'd') });
      await engine.docker(['import', tarball, 'ffans-debian'], { timeoutMs: 120_000 });
      // the director's container holds the network namespace, the agent's joins it
      await engine.docker(['run', '-d', '--name', DIRECTOR, '--hostname', 'director-1', '--network', 'none', 'ffans-debian', 'sleep', 'infinity']);
      await engine.docker(['run', '-d', '--name', AGENT, '--network', `container:${DIRECTOR}`, 'ffans-debian', 'sleep', 'infinity']);
    };
    [pkgs] = await Promise.all([buildPackages(), containers()]);
    // the agent's volume and target folder: made by the operator, not by the role
    await engine!.docker(['exec', AGENT, 'sh', '-c', 'mkdir -p /srv/data /srv/backups && echo deployed by ansible > /srv/data/f.txt']);
    await writeFile(
      join(work, 'inventory.yml'),
      [
        'all:',
        '  vars:',
        '    ansible_connection: community.docker.docker',
        '    ansible_python_interpreter: /usr/bin/python3',
        // docker exec is root already, and the root has no sudo for site.yml's `become`
        '    ansible_become: false',
        `    freezeframe_deb_dir: ${pkgs.out}`,
        '  children:',
        '    freezeframe_director:',
        '      hosts:',
        '        director-1:',
        `          ansible_host: ${DIRECTOR}`,
        '          freezeframe_director_deployment: ansible-test',
        '          freezeframe_director_backup_schedule: daily 02:00',
        '          freezeframe_director_inventory_extra: { retention: { last: 3 } }',
        '    freezeframe_agents:',
        '      hosts:',
        '        node-1:',
        `          ansible_host: ${AGENT}`,
        '          freezeframe_agent_address: 127.0.0.1:7450',
        '          freezeframe_agent_cert_ips: [127.0.0.1]',
        '          freezeframe_agent_start_without_systemd: true',
        '          freezeframe_agent_config:',
        '            source: { kind: dir, volume: /srv/data }',
        '            target: { kind: dir, path: /srv/backups }',
        '',
      ].join('\n'),
    );
    console.log(`ansible test: packages built, containers up in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 600_000);

  afterAll(async () => {
    try {
      // removes the containers, then the engine's data root with the image
      await engine?.stop();
    } finally {
      if (work) await rm(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('site.yml passes ansible-playbook --syntax-check and ansible-lint', async () => {
    onTestFailed(() => console.error(transcript.join('\n')));
    const syntax = await ansible('ansible-playbook', ['--syntax-check', '-i', 'inventory.example.yml', 'site.yml']);
    expect(syntax.code, `--syntax-check:\n${syntax.stdout}${syntax.stderr}`).toBe(0);
    // settings from deploy/ansible/.ansible-lint: the production profile, offline
    const lint = await ansible('ansible-lint', ['--nocolor']);
    expect(lint.code, `ansible-lint:\n${lint.stdout}${lint.stderr}`).toBe(0);
    expect(lint.stderr).toContain('Passed with production profile');
  }, 120_000);

  it('site.yml installs director and agent from the .debs; the agent answers Health from the director', async () => {
    onTestFailed(() => console.error(transcript.join('\n')));
    const started = Date.now();
    const play = await ansible('ansible-playbook', ['-i', join(work, 'inventory.yml'), 'site.yml']);
    expect(play.code, `ansible-playbook:\n${play.stdout}${play.stderr}`).toBe(0);
    const hosts = recap(play.stdout);
    expect([...hosts.keys()].sort()).toEqual(['director-1', 'node-1']);
    for (const [h, r] of hosts) expect({ h, failed: r.failed, unreachable: r.unreachable }).toEqual({ h, failed: 0, unreachable: 0 });
    console.log(`ansible test: first run ${((Date.now() - started) / 1000).toFixed(0)} s`);

    // the agent's node: the package, root-only files, the config the role rendered
    expect((await exec(AGENT, ['dpkg-query', '-W', '-f=${Version}', 'freezeframe-agent'])).stdout).toBe(VERSION);
    const modes = await exec(AGENT, ['stat', '-c', '%n %a %U:%G', '/etc/freezeframe', '/etc/freezeframe/agent.yaml', '/etc/freezeframe/node-1-key.pem', '/etc/freezeframe/node-1.pem', '/etc/freezeframe/ca.pem', '/etc/freezeframe/crl.pem']);
    expect(modes.stdout.trim().split('\n')).toEqual([
      '/etc/freezeframe 700 root:root',
      '/etc/freezeframe/agent.yaml 600 root:root',
      '/etc/freezeframe/node-1-key.pem 600 root:root',
      '/etc/freezeframe/node-1.pem 644 root:root',
      '/etc/freezeframe/ca.pem 644 root:root',
      '/etc/freezeframe/crl.pem 644 root:root',
    ]);
    const config = (await exec(AGENT, ['cat', '/etc/freezeframe/agent.yaml'])).stdout;
    expect(config).toMatch(/^name: node-1$/m);
    expect(config).toMatch(/^listen: 0\.0\.0\.0:7450$/m);
    expect(config).toMatch(/^ {2}key: \/etc\/freezeframe\/node-1-key\.pem$/m);
    const dropIn = (await exec(AGENT, ['cat', '/etc/systemd/system/freezeframe-agent.service.d/ansible-paths.conf'])).stdout;
    expect(dropIn).toContain('ReadWritePaths=-/srv/data\nReadWritePaths=-/srv/backups\n');
    expect((await exec(AGENT, ['freezeframe-agent', '--config', '/etc/freezeframe/agent.yaml', '--check'])).code).toBe(0);

    // the director's node: its package, the CA only there, the timer from `schedule install`
    expect((await exec(DIRECTOR, ['dpkg-query', '-W', '-f=${Version}', 'freezeframe'])).stdout).toBe(VERSION);
    expect((await exec(AGENT, ['test', '-e', '/etc/freezeframe/pki/ca-key.pem'])).code, 'the CA key stays on the director').not.toBe(0);
    const timers = JSON.parse((await exec(DIRECTOR, ['freezeframe', 'schedule', 'list', '--json'])).stdout) as { units: Array<{ job: string; schedule: string; execStart: string }> };
    expect(timers.units).toMatchObject([{ job: 'backup', schedule: 'daily 02:00', execStart: '/usr/bin/freezeframe -i /etc/freezeframe/inventory.yaml backup' }]);

    // Health, over mutual TLS with the certificates the roles made and placed
    const health = await exec(DIRECTOR, ['freezeframe', '-i', '/etc/freezeframe/inventory.yaml', 'health', '--json']);
    expect(health.code, `health:\n${health.stdout}${health.stderr}`).toBe(0);
    const report = JSON.parse(health.stdout) as { ok: boolean; nodes: Array<{ node: string; ok: boolean; version?: string; roles: string[]; problems: string[] }> };
    expect(report.ok).toBe(true);
    expect(report.nodes).toHaveLength(1);
    expect(report.nodes[0]).toMatchObject({ node: 'node-1', ok: true, version: VERSION, problems: [] });
    expect([...report.nodes[0]!.roles].sort()).toEqual(['source', 'target']);
  }, 300_000);

  it('a second run of site.yml changes nothing, and the agent keeps running', async () => {
    onTestFailed(() => console.error(transcript.join('\n')));
    const started = Date.now();
    const pid = (await exec(AGENT, ['cat', '/run/freezeframe-agent.pid'])).stdout.trim();
    const play = await ansible('ansible-playbook', ['-i', join(work, 'inventory.yml'), 'site.yml']);
    expect(play.code, `ansible-playbook:\n${play.stdout}${play.stderr}`).toBe(0);
    const hosts = recap(play.stdout);
    for (const h of ['director-1', 'node-1']) expect({ h, ...hosts.get(h) }).toMatchObject({ h, changed: 0, failed: 0 });
    expect((await exec(AGENT, ['cat', '/run/freezeframe-agent.pid'])).stdout.trim()).toBe(pid);
    console.log(`ansible test: second run ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }, 300_000);
});
