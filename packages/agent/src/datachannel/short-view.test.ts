import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, silentLogger } from '@freezeframe/common';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { needsRoot } from '../../../../test/support/privileges.js';
import { VIEW_AT, openShortView } from './short-view.js';

const skip = needsRoot('a mount namespace for the receiver', ['unshare', 'nsenter', 'setpriv', 'mount']);
const root = mkdtempSync(join(tmpdir(), 'ff-view-'));
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(spawnSync('cat', [`/proc/${pid}/status`]).stdout.toString());

describe.skipIf(skip)('the receiver\'s short view of the target (a mount namespace of its own)', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs a program chrooted to a root holding only the target at /mnt and the system folders, read-only; the host never sees it; close() ends it', async () => {
    const marker = `marker-${process.pid}`;
    writeFileSync(join(root, marker), 'x');
    mkdirSync(join(root, 'sub'));
    const hostMnt = spawnSync('findmnt', ['-n', '-o', 'SOURCE', VIEW_AT], { encoding: 'utf8' }).stdout;
    const view = await openShortView(root, silentLogger);
    const inView = (args: string[]) => {
      const w = view.wrap(findBinary(args[0]!), args.slice(1));
      return spawnSync(w.bin, w.args, { encoding: 'utf8' });
    };
    try {
      expect(inView(['ls', VIEW_AT]).stdout.split('\n')).toContain(marker);
      expect(existsSync(join(VIEW_AT, marker))).toBe(false);
      expect(spawnSync('findmnt', ['-n', '-o', 'SOURCE', VIEW_AT], { encoding: 'utf8' }).stdout).toBe(hostMnt);
      // nothing of the host but its programs: no /etc, no /root, no /proc, not the host's /tmp (where `root` is)
      expect(inView(['ls', '-a', '/']).stdout.split('\n').filter((n) => n && n !== '.' && n !== '..').sort()).toEqual(
        ['bin', 'lib', 'lib32', 'lib64', 'libx32', 'mnt', 'sbin', 'usr'].filter((n) => existsSync(`/${n}`)),
      );
      for (const p of ['/etc/passwd', root, '/proc/self']) expect(inView(['stat', p]).status, p).not.toBe(0);
      // started in its root: no relative path leads out of it
      expect(inView(['pwd']).stdout.trim()).toBe('/');
      expect(inView(['ls', '../../../..']).stdout.split('\n')).toContain('mnt');
      // the host's programs cannot be changed from inside
      const touched = inView(['touch', '/usr/freezeframe-view-test']);
      expect(touched.stderr).toMatch(/Read-only file system/);
      expect(existsSync('/usr/freezeframe-view-test')).toBe(false);
      // a --link-dest basis and the receive folder are one mount: a hard link between them works
      const linked = inView(['ln', join(VIEW_AT, marker), join(VIEW_AT, 'sub', 'linked')]);
      expect(linked.status, linked.stderr).toBe(0);
      expect(statSync(join(root, 'sub', 'linked')).ino).toBe(statSync(join(root, marker)).ino);
      // the wrapped program is rsync itself inside the namespace, with its arguments unchanged
      const w = view.wrap('/usr/bin/rsync', ['--server', '.', '/mnt/x/']);
      expect(w.args.slice(-4)).toEqual(['/usr/bin/rsync', '--server', '.', '/mnt/x/']);
      expect(inView(['rsync', '--version']).stdout).toMatch(/^rsync\s+version/);
      expect(view.see(join(root, 'a', 'b'))).toBe(`${VIEW_AT}/a/b`);
      expect(view.see(root)).toBe(VIEW_AT);
      expect(() => view.see(`${root}-other/a`)).toThrow(/not under/);
    } finally {
      view.close();
    }
    await vi.waitFor(() => expect(alive(view.pid)).toBe(false), { timeout: 5_000 });
  });

  it('is refused when the program it is for lies outside the system folders it shows', async () => {
    const elsewhere = join(root, 'rsync');
    writeFileSync(elsewhere, '#!/bin/sh\n', { mode: 0o755 });
    await expect(openShortView(root, silentLogger, elsewhere)).rejects.toThrow(/rsync is not in the host's system folders/);
  });

  it('ends with the agent: a killed agent leaves no namespace holder behind', async () => {
    const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'datachannel', 'short-view.js');
    expect(existsSync(dist), `${dist} is built by tsc --build before the tests`).toBe(true);
    const script = `import(${JSON.stringify(dist)}).then(async (m) => { const v = await m.openShortView(${JSON.stringify(root)}, { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } }); console.log(v.pid); setInterval(() => {}, 1000); });`;
    const agent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const holder = await new Promise<number>((resolve, reject) => {
      agent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())));
      agent.once('exit', (code) => reject(new Error(`the stand-in agent exited with ${code}`)));
    });
    expect(alive(holder)).toBe(true);
    agent.kill('SIGKILL');
    await vi.waitFor(() => expect(alive(holder)).toBe(false), { timeout: 5_000 });
  });
});
