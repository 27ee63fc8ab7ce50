import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_MAIN, writeAgentConfig } from './support/agents.js';
import { makePki, type Pki } from './support/pki.js';
import { claim } from './support/claim.js';

await claim('cgroup');

// `freezeframe-agent --config FILE --check` against the real resources a config names: the
// built binary, one config per case. Each broken config exits 1 with a line naming the key, the
// path and the cause; the good one exits 0. No root: the cgroup hierarchy is a folder shaped
// like the kernel's (the check only looks for each group's control file).

/** Runs the built agent's --check on `config`. */
function check(config: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [AGENT_MAIN, '--config', config, '--check'], { encoding: 'utf8', timeout: 30_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Mount of `path` as /proc/self/mountinfo says (type and mount point), to predict the message. */
function mountOf(path: string): { fsType: string; mountPoint: string } {
  const r = spawnSync('findmnt', ['-n', '-o', 'FSTYPE,TARGET', '-T', path], { encoding: 'utf8' });
  const [fsType = '', mountPoint = ''] = r.stdout.trim().split(/\s+/);
  return { fsType, mountPoint };
}

describe('freezeframe-agent --check looks at the real resources', () => {
  let root: string;
  let pki: Pki;
  let n = 0;
  const data = () => join(root, 'data');
  const backups = () => join(root, 'backups');
  const cgroups = () => join(root, 'cgroup');

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-agent-check-'));
    pki = await makePki(join(root, 'pki'), ['director', 'alpha', 'beta']);
    mkdirSync(data());
    mkdirSync(backups());
    // a cgroup v2 hierarchy: cgroup.controllers at its root, cgroup.freeze in every group
    mkdirSync(join(cgroups(), 'app'), { recursive: true });
    writeFileSync(join(cgroups(), 'cgroup.controllers'), '');
    writeFileSync(join(cgroups(), 'app', 'cgroup.freeze'), '0\n');
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A config for node alpha (in its own folder) with `roles` YAML; `tlsOf` picks whose certificate it presents. */
  const config = (roles: string, tlsOf = 'alpha') => writeAgentConfig(join(root, `case-${++n}`), pki, 'alpha', roles, { tls: pki.files(tlsOf) });

  const fails = (file: string, ...expected: string[]) => {
    const r = check(file);
    expect(r.code, `exit code; stderr:\n${r.stderr}`).toBe(1);
    for (const e of expected) expect(r.stderr).toContain(`${file}: ${e}`);
    expect(r.stdout).not.toContain(': ok');
    return r;
  };

  it('passes a config whose resources exist (dir source, cgroup freeze, dir target)', () => {
    const r = check(config(`source: { kind: dir, volume: ${data()} }\nfreeze: { kind: cgroup, cgroups: [app], root: ${cgroups()} }\ntarget: { kind: dir, path: ${backups()} }\n`));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/: ok \(node alpha: source dir, freeze cgroup, target dir; \d+ checks passed/);
  });

  it('a missing volume path', () => {
    const missing = join(root, 'no-such-volume');
    fails(config(`source: { kind: dir, volume: ${missing} }\nfreeze: { kind: none }\n`), `source.volume: ${missing} does not exist`);
  });

  it('a missing restoreDir, and one that is a symbolic link', () => {
    const missing = join(root, 'no-such-drill-dir');
    const link = join(root, 'drill-link');
    symlinkSync(data(), link);
    // warnings: drills into them fail, backups do not
    const file = config(`restoreDirs: [${missing}, ${link}, ${data()}]\n`);
    const r = check(file);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`${file}: warning: restoreDirs[0]: ${missing} does not exist; drills into it fail`);
    expect(r.stderr).toContain(`${file}: warning: restoreDirs[1]: ${link} is a symbolic link`);
    expect(r.stderr).not.toContain('restoreDirs[2]');
    expect(r.stdout).toContain('2 warnings');
  });

  it('a missing target path', () => {
    const missing = join(root, 'no-such-target');
    fails(config(`target: { kind: dir, path: ${missing} }\n`), `target.path: ${missing} does not exist`);
  });

  it('a btrfs source on a file system that is not btrfs', (ctx) => {
    const m = mountOf(data());
    if (m.fsType === 'btrfs') {
      console.warn(`SKIP ${data()} is on btrfs here: no wrong file system to refuse`);
      ctx.skip();
    }
    const r = fails(config(`source: { kind: btrfs, volume: ${data()}, snapshotMount: ${join(root, 'snaps')} }\nfreeze: { kind: none }\n`));
    expect(r.stderr).toContain(`${data()} is on ${m.fsType} (`);
    expect(r.stderr).toMatch(new RegExp(`source\\.volume: ${data()} is on ${m.fsType} \\(.* on ${m.mountPoint}\\), not btrfs`));
  });

  it('a missing cgroup freezer group, naming the group and where it was looked for', () => {
    const r = fails(config(`source: { kind: dir, volume: ${data()} }\nfreeze: { kind: cgroup, cgroups: [app, gone], root: ${cgroups()} }\n`), "freeze.cgroups: gone: cgroup 'gone' does not exist");
    expect(r.stderr).toContain(join(cgroups(), 'gone'));
    expect(r.stderr).not.toContain('freeze.cgroups: app');
  });

  it('a certificate issued for another node name', () => {
    fails(config(`target: { kind: dir, path: ${backups()} }\n`, 'beta'), `tls.cert: ${pki.files('beta').cert} is issued for 'beta', not for this node's name 'alpha'`);
  });

  it('several problems: one line each, and a count', () => {
    const r = fails(
      config(`source: { kind: dir, volume: ${join(root, 'nope-1')} }\nfreeze: { kind: cgroup, units: [db.service], root: ${cgroups()} }\ntarget: { kind: dir, path: ${join(root, 'nope-2')} }\n`, 'beta'),
    );
    const lines = r.stderr.trim().split('\n');
    expect(lines.filter((l) => /source\.volume|target\.path|freeze\.units|tls\.cert/.test(l))).toHaveLength(4);
    expect(lines.at(-1)).toMatch(/4 of \d+ checks failed \(node alpha\)$/);
  });
});
