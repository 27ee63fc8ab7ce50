import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { DIRECTOR_MAIN, startRig, type Rig } from './support/fault-rig.js';
import { lacks } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// Unattended operation through the real director CLI and real agents on loopback (no root):
// `schedule install|list|remove` writing units that `systemd-analyze verify` accepts, the
// Prometheus text file after backup, restore and prune (checked by `promtool check metrics`,
// carrying the last success across a failed backup), and `health --nagios` checking the newest
// backup's age by default.

const which = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } }).stdout.trim();
const SYSTEMD_ANALYZE = which('systemd-analyze');
const PROMTOOL = which('promtool');
/** The director's PATH for schedule: no `freezeframe` on it, so the units run this build (node and main.js). */
const NO_WRAPPER = { PATH: '/usr/bin:/bin' };

describe('schedule, metrics and the nagios age check', () => {
  let rig: Rig;
  let units = '';
  let prom = '';

  beforeAll(async () => {
    rig = await startRig((root) => {
      mkdirSync(join(root, 'src-1', 'data'), { recursive: true });
      writeFileSync(join(root, 'src-1', 'data', 'f.txt'), 'one\n');
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        { name: 'src-1', roles: `source: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n` },
      ];
    }, { prefix: 'ff-unattended-' });
    units = join(rig.root, 'units');
    // metrics.textfile must be under /var/lib, /run, /var/tmp or /tmp: the rig's root is in tmpdir()
    prom = join(rig.root.startsWith('/tmp/') ? rig.root : '/tmp', `ff-textfile-${process.pid}`, 'freezeframe.prom');
    appendFileSync(rig.inventory, `metrics: { textfile: ${prom} }\n`);
  }, 120_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('schedule install writes units systemd-analyze verify accepts; list shows them; remove deletes them', async () => {
    const r = await rig.director(['schedule', 'install', '--backup', 'daily 02:00', '--randomized-delay', '10m', '--dir', units, '--json'], NO_WRAPPER);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ dir: units, enabled: false, units: [{ job: 'backup', timer: 'freezeframe-backup.timer', service: 'freezeframe-backup.service', randomizedDelaySec: 600, persistent: true, enabled: false }] });
    expect(res.units[0].execStart).toBe(`${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} backup`);
    expect(res.next).toEqual([`cp ${units}/freezeframe-backup.service ${units}/freezeframe-backup.timer /etc/systemd/system/`, 'systemctl daemon-reload', 'systemctl enable --now freezeframe-backup.timer']);
    const timer = readFileSync(join(units, 'freezeframe-backup.timer'), 'utf8');
    expect(timer).toMatch(/^Persistent=true$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=600$/m);
    expect(statSync(join(units, 'freezeframe-backup.service')).mode & 0o777).toBe(0o644);
    if (!lacks('systemd-analyze (to check the units)', !SYSTEMD_ANALYZE)) {
      expect(res.units[0].onCalendar).toBe('*-*-* 02:00:00'); // systemd's normalized form
      const v = spawnSync(SYSTEMD_ANALYZE, ['verify', '--man=no', join(units, 'freezeframe-backup.timer'), join(units, 'freezeframe-backup.service')], { encoding: 'utf8' });
      expect(v.status, v.stderr).toBe(0);
      expect(v.stderr).toBe('');
    }

    const human = await rig.director(['schedule', 'install', '--backup', 'weekly sun 03:30', '--dir', units], NO_WRAPPER);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^freezeframe-backup\.timer +disabled weekly sun 03:30 \(OnCalendar=Sun \*-\*-\* 03:30:00\)/);
    expect(human.stdout).toContain('to enable, run:\n');
    expect(human.stdout).toContain('journalctl -u freezeframe-backup.service');

    const list = await rig.director(['schedule', 'list', '--dir', units, '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).units).toMatchObject([{ job: 'backup', schedule: 'weekly sun 03:30', onCalendar: 'Sun *-*-* 03:30:00', enabled: false }]);
    expect(JSON.parse(list.stdout).units[0]).not.toHaveProperty('randomizedDelaySec');
    const listHuman = await rig.director(['schedule', 'list', '--dir', units]);
    expect(listHuman.stdout).toMatch(/freezeframe-backup\.timer +disabled weekly sun 03:30/);
    expect(listHuman.stdout).toContain(`runs ${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} backup`);

    const rm = await rig.director(['schedule', 'remove', 'backup', '--dir', units, '--json']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(JSON.parse(rm.stdout).removed.sort()).toEqual([join(units, 'freezeframe-backup.service'), join(units, 'freezeframe-backup.timer')]);
    expect(readdirSync(units)).toEqual([]);
    expect((await rig.director(['schedule', 'list', '--dir', units])).stdout).toMatch(/^no freezeframe timers in /);
    expect((await rig.director(['schedule', 'remove', '--dir', units])).stdout).toMatch(/^no freezeframe units to remove in /);
  });

  it('schedule install --replicate writes a timer running `freezeframe replicate` next to the backup one', async () => {
    const dir = join(units, '..', 'replicate-units');
    try {
      const r = await rig.director(['schedule', 'install', '--backup', 'daily 02:00', '--replicate', 'daily 04:00', '--dir', dir, '--json'], NO_WRAPPER);
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res.units.map((u: { job: string; timer: string }) => [u.job, u.timer])).toEqual([['backup', 'freezeframe-backup.timer'], ['replicate', 'freezeframe-replicate.timer']]);
      expect(res.units[1].execStart).toBe(`${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} replicate`);
      expect(readFileSync(join(dir, 'freezeframe-replicate.service'), 'utf8')).toContain(`ExecStart=${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} replicate\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('schedule install --deep writes a timer running `freezeframe backup --deep`; list shows it and remove deep takes only it', async () => {
    const dir = join(units, '..', 'deep-units');
    try {
      const r = await rig.director(['schedule', 'install', '--backup', 'daily 02:00', '--deep', 'monthly 01:00', '--dir', dir, '--json'], NO_WRAPPER);
      expect(r.code, r.stderr).toBe(0);
      const res = JSON.parse(r.stdout);
      expect(res.units.map((u: { job: string; timer: string }) => [u.job, u.timer])).toEqual([['backup', 'freezeframe-backup.timer'], ['deep', 'freezeframe-deep.timer']]);
      expect(res.units[1].execStart).toBe(`${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} backup --deep`);
      const service = readFileSync(join(dir, 'freezeframe-deep.service'), 'utf8');
      expect(service).toContain(`ExecStart=${process.execPath} ${DIRECTOR_MAIN} -i ${rig.inventory} backup --deep\n`);
      expect(service).toContain(`Description=freezeframe backup --deep of deployment fault\n`);
      const list = JSON.parse((await rig.director(['schedule', 'list', '--dir', dir, '--json'], NO_WRAPPER)).stdout);
      expect(list.units.map((t: { job: string }) => t.job).sort()).toEqual(['backup', 'deep']);
      const removed = await rig.director(['schedule', 'remove', 'deep', '--dir', dir, '--json'], NO_WRAPPER);
      expect(removed.code, removed.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(['freezeframe-backup.service', 'freezeframe-backup.timer']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('schedule install refuses hostile schedules naming the field, and units it did not write', async () => {
    for (const hostile of ['daily 02:00; rm -rf /', 'daily 02:00\nExecStartPre=/bin/sh -c id', '$(reboot)', '%h']) {
      const r = await rig.director(['schedule', 'install', '--backup', hostile, '--dir', units, '--json'], NO_WRAPPER);
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: '--backup' } });
      expect(r.stderr).toMatch(/^error INVALID_ARGUMENT: --backup: .* is not a schedule/);
    }
    const hostileReplicate = await rig.director(['schedule', 'install', '--backup', 'daily 02:00', '--replicate', 'hourly; id', '--dir', units, '--json'], NO_WRAPPER);
    expect(hostileReplicate.code).toBe(2);
    expect(JSON.parse(hostileReplicate.stdout).error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: '--replicate' } });
    if (SYSTEMD_ANALYZE) {
      const typo = await rig.director(['schedule', 'install', '--backup', 'dialy 02:00', '--dir', units], NO_WRAPPER);
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('--backup: "dialy 02:00" is not a systemd calendar expression');
    }
    expect(existsSync(units) ? readdirSync(units) : []).toEqual([]);
    mkdirSync(units, { recursive: true });
    writeFileSync(join(units, 'freezeframe-backup.service'), '[Service]\nExecStart=/bin/true\n');
    const foreign = await rig.director(['schedule', 'install', '--backup', 'daily', '--dir', units], NO_WRAPPER);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('freezeframe-backup.service exists and was not written by freezeframe schedule install');
    expect(readFileSync(join(units, 'freezeframe-backup.service'), 'utf8')).toBe('[Service]\nExecStart=/bin/true\n');
  });

  it('health --nagios checks the backup age by default: CRITICAL before the first backup; each node counts once in the perfdata', async () => {
    // the rig's target is a folder on / (no nosuid,nodev): its node is a warning, the other healthy
    const mountWarning = 'tgt: target .* mounted without nosuid,nodev[^|]*';
    const n = await rig.director(['health', '--nagios']);
    expect(n.code, n.stdout + n.stderr).toBe(2);
    expect(n.stdout).toMatch(new RegExp(`^FREEZEFRAME CRITICAL - no complete backup on the target; ${mountWarning} \\| nodes=2 healthy=1 warning=1 critical=0\n$`));
    const off = await rig.director(['health', '--nagios', '--max-age', '0', '--json']);
    expect(off.code).toBe(1);
    expect(JSON.parse(off.stdout).line).toMatch(new RegExp(`^FREEZEFRAME WARNING - ${mountWarning} \\| nodes=2 healthy=1 warning=1 critical=0$`));
  });

  it('writes the metrics file after a backup, a restore and a prune; promtool accepts it; a failed backup keeps the last success', async () => {
    onTestFailed(() => console.error(rig.logs()));
    const b = await rig.director(['backup', '--json']);
    expect(b.code, b.stderr).toBe(0);
    expect(statSync(prom).mode & 0o777).toBe(0o644);
    let text = readFileSync(prom, 'utf8');
    const l = 'deployment="fault",kind="backup"';
    expect(text).toMatch(new RegExp(`^freezeframe_last_run_success\\{${l}\\} 1$`, 'm'));
    const success = Number(new RegExp(`^freezeframe_last_success_timestamp_seconds\\{${l}\\} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(Math.abs(success * 1000 - Date.now())).toBeLessThan(60_000);
    expect(text).toMatch(new RegExp(`^freezeframe_last_run_source_files\\{${l},source="src-1"\\} 2$`, 'm')); // the folder and f.txt
    expect(text).toMatch(new RegExp(`^freezeframe_last_run_source_sent_bytes\\{${l},source="src-1"\\} \\d+$`, 'm'));
    expect(text).toMatch(new RegExp(`^freezeframe_last_run_phase_duration_seconds\\{${l},phase="transfer"\\} [\\d.e-]+$`, 'm'));
    expect(text).not.toMatch(/^freezeframe_last_backup_freeze_window_seconds\{/m); // no freeze host, no window
    expect(text).toMatch(/^freezeframe_backups_kept\{deployment="fault"\} 1$/m);
    expect(text).toMatch(/^freezeframe_target_free_bytes\{deployment="fault",target="tgt"\} \d+$/m);

    const n = await rig.director(['health', '--nagios']);
    expect(n.code, n.stdout).toBe(1); // the target's mount warning only
    expect(n.stdout).toMatch(/^FREEZEFRAME WARNING - tgt: .* \| nodes=2 healthy=1 warning=1 critical=0 last_backup_age=\d+s;93600;187200;0\n$/);
    const old = await rig.director(['health', '--nagios', '--max-age', '1ms']);
    expect(old.code).toBe(2);
    expect(old.stdout).toMatch(/^FREEZEFRAME CRITICAL - last backup is .* old \(critical over 2 ms\)[^|]* \| nodes=2 healthy=1 warning=1 critical=0 last_backup_age=\d+s;0;0;0\n$/);

    const r = await rig.director(['restore', 'latest', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const p = await rig.director(['prune', '--json']);
    expect(p.code, p.stderr).toBe(0);
    text = readFileSync(prom, 'utf8');
    expect(text).toMatch(/^freezeframe_last_run_success\{deployment="fault",kind="restore"\} 1$/m);
    expect(text).toMatch(/^freezeframe_last_run_success\{deployment="fault",kind="prune"\} 1$/m);
    expect(text).toMatch(/^freezeframe_last_run_source_files\{deployment="fault",kind="restore",source="src-1"\} 2$/m);

    await rig.kill9('src-1');
    const failed = await rig.director(['backup']);
    expect(failed.code).toBe(1);
    text = readFileSync(prom, 'utf8');
    expect(text).toMatch(new RegExp(`^freezeframe_last_run_success\\{${l}\\} 0$`, 'm'));
    expect(text).toMatch(new RegExp(`^freezeframe_last_run_result\\{${l},result="failed"\\} 1$`, 'm'));
    expect(text).toContain(`freezeframe_last_success_timestamp_seconds{${l}} ${success}\n`);
    await rig.start('src-1');

    if (!lacks('promtool (Debian package prometheus, to check the metrics file)', !PROMTOOL)) {
      const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.status, `${check.stdout}${check.stderr}\n${text}`).toBe(0);
      expect(check.stdout + check.stderr).toBe('');
    }
  }, 120_000);

  it('refuses a metrics path outside the allowed folders or relative, naming the key', async () => {
    for (const bad of ['/etc/cron.d/freezeframe.prom', 'metrics/freezeframe.prom', '/tmp/../etc/x.prom', '/var/lib/node_exporter/freezeframe.txt']) {
      const file = join(rig.root, 'bad-metrics.yaml');
      writeFileSync(file, readFileSync(rig.inventory, 'utf8').replace(/^metrics: .*$/m, `metrics: { textfile: ${bad} }`));
      const r = await rig.director(['-i', file, 'list', '--json']);
      expect(r.code, bad).toBe(2);
      expect(JSON.parse(r.stdout).error.code).toBe('CONFIG_INVALID');
      expect(r.stderr).toContain(`${file}: metrics.textfile: must`);
    }
  });
});
