import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findBinary, isFfError, run } from '@freezeframe/common';
import { afterAll, describe, expect, it } from 'vitest';
import { lacks, needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// The shipped agent unit: the hardening the design promises is present, the config is checked
// before start, and systemd itself accepts the file.

const UNIT = resolve(import.meta.dirname, '../deploy/freezeframe-agent.service');
const tmp = mkdtempSync(join(tmpdir(), 'ff-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** `Key=value` lines per section; repeated keys keep every value. */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      current = new Map();
      sections.set(sec[1]!, current);
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv || !current) throw new Error(`not a unit line: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

describe('deploy/freezeframe-agent.service', () => {
  const service = parseUnit(readFileSync(UNIT, 'utf8')).get('Service')!;
  const one = (k: string) => {
    const v = service.get(k);
    expect(v, k).toBeDefined();
    return v!.at(-1)!;
  };

  it('has the hardening settings the security model names', () => {
    for (const [k, v] of Object.entries({
      NoNewPrivileges: 'yes',
      PrivateTmp: 'yes',
      ProtectHome: 'yes',
      ProtectSystem: 'strict',
      ProtectKernelModules: 'yes',
      RestrictSUIDSGID: 'yes',
      RestrictNamespaces: 'yes',
      LockPersonality: 'yes',
      DevicePolicy: 'closed',
      UMask: '0077',
    })) {
      expect(one(k), k).toBe(v);
    }
    expect(one('RestrictAddressFamilies').split(/\s+/).sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
    const caps = one('CapabilityBoundingSet').split(/\s+/);
    expect(caps).toContain('CAP_SYS_ADMIN');
    // CAP_SETFCAP would let a source's rsync stream plant file-capability binaries on the target
    for (const forbidden of ['CAP_SYS_PTRACE', 'CAP_SYS_MODULE', 'CAP_NET_ADMIN', 'CAP_SYS_RAWIO', 'CAP_SETUID', 'CAP_SETGID', 'CAP_SYS_BOOT', 'CAP_SETFCAP']) {
      expect(caps, forbidden).not.toContain(forbidden);
    }
    expect(readFileSync(UNIT, 'utf8')).toMatch(/# cost: no CAP_SETFCAP.*\n#.*\n# capabilities fails on them \(rsync exit 23\); add CAP_SETFCAP only for such a restore/);
    const devices = service.get('DeviceAllow')!.map((d) => d.split(/\s+/)[0]);
    expect(devices.sort()).toEqual(['/dev/btrfs-control', '/dev/fuse', '/dev/mapper/control', '/dev/zfs', 'block-device-mapper'].sort());
  });

  it('starts the agent with the config, without a --check that an application down would fail', () => {
    const start = one('ExecStart');
    expect(service.get('ExecStartPre'), 'start-up validates the config itself').toBeUndefined();
    expect(start).toMatch(/^\/\S+\/node \/\S+\/agent\/dist\/main\.js --config \/etc\/freezeframe\/agent\.yaml$/);
  });

  it('every setting has a note on what it costs', () => {
    const text = readFileSync(UNIT, 'utf8');
    expect(text.match(/# cost:/g)?.length ?? 0).toBeGreaterThanOrEqual(8);
  });

  it.skipIf(needsRoot('file capabilities under the unit\'s capability set', ['setcap', 'getcap', 'setpriv', 'rsync']))(
    "a file-capability binary received by rsync running with the unit's capability set arrives without its capabilities",
    async () => {
      const src = join(tmp, 'caps-src');
      const dst = join(tmp, 'caps-dst');
      mkdirSync(src);
      mkdirSync(dst);
      copyFileSync('/usr/bin/true', join(src, 'raw-sock'));
      await run({ bin: findBinary('setcap'), args: ['cap_net_raw+ep', join(src, 'raw-sock')], timeoutMs: 30_000 });
      // the receiving rsync, like the agent's, has exactly the unit's bounding set (a root process's capabilities after exec)
      const keep = one('CapabilityBoundingSet').split(/\s+/).map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`);
      const r = await run({
        bin: findBinary('setpriv'),
        args: [`--bounding-set=-all,${keep.join(',')}`, '--', findBinary('rsync'), '-aX', `${src}/`, `${dst}/`],
        timeoutMs: 60_000,
        okExitCodes: [0, 23],
      });
      expect(r.stderr).toMatch(/security\.capability.*Operation not permitted/);
      expect(r.code).toBe(23);
      expect(existsSync(join(dst, 'raw-sock'))).toBe(true);
      expect((await run({ bin: findBinary('getcap'), args: [join(dst, 'raw-sock')], timeoutMs: 30_000 })).stdout.trim()).toBe('');
    },
  );

  it.skipIf(lacks('systemd-analyze (package systemd)', !existsSync('/usr/bin/systemd-analyze')))('systemd-analyze verify accepts it', async () => {
    const copy = join(tmp, 'freezeframe-agent.service');
    copyFileSync(UNIT, copy);
    const r = await run({ bin: '/usr/bin/systemd-analyze', args: ['verify', copy], timeoutMs: 30_000 }).catch((e: unknown) => {
      if (isFfError(e)) throw new Error(`${e.message}\n${String(e.details?.stderr ?? '')}`);
      throw e;
    });
    expect(r.stderr).not.toMatch(/Unknown key|Invalid|Failed to parse/i);
  });
});
