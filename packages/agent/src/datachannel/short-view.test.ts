import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@freezeframe/common';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { needsRoot } from '../../../../test/support/privileges.js';
import { VIEW_AT, openShortView } from './short-view.js';

const skip = needsRoot('a mount namespace for the receiver', ['unshare', 'nsenter', 'setpriv', 'mount']);
const root = mkdtempSync(join(tmpdir(), 'ff-view-'));
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(spawnSync('cat', [`/proc/${pid}/status`]).stdout.toString());
const inView = (pid: number, args: string[]) => spawnSync('nsenter', ['--target', String(pid), '--mount', '--', ...args], { encoding: 'utf8' });

describe.skipIf(skip)('the receiver\'s short view of the target (a mount namespace of its own)', () => {
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('shows the root at /mnt to programs run inside it, never to the host, and ends with close()', async () => {
    const marker = `marker-${process.pid}`;
    writeFileSync(join(root, marker), 'x');
    mkdirSync(join(root, 'sub'));
    const hostMnt = spawnSync('findmnt', ['-n', '-o', 'SOURCE', VIEW_AT], { encoding: 'utf8' }).stdout;
    const view = await openShortView(root, silentLogger);
    try {
      expect(inView(view.pid, ['ls', VIEW_AT]).stdout.split('\n')).toContain(marker);
      expect(existsSync(join(VIEW_AT, marker))).toBe(false);
      expect(spawnSync('findmnt', ['-n', '-o', 'SOURCE', VIEW_AT], { encoding: 'utf8' }).stdout).toBe(hostMnt);
      // a --link-dest basis and the receive folder are one mount: a hard link between them works
      const linked = inView(view.pid, ['ln', join(VIEW_AT, marker), join(VIEW_AT, 'sub', 'linked')]);
      expect(linked.status, linked.stderr).toBe(0);
      expect(statSync(join(root, 'sub', 'linked')).ino).toBe(statSync(join(root, marker)).ino);
      // the wrapped program is rsync itself inside the namespace, with its arguments unchanged
      const w = view.wrap('/usr/bin/rsync', ['--server', '.', '/mnt/x/']);
      expect(w.args.slice(-4)).toEqual(['/usr/bin/rsync', '--server', '.', '/mnt/x/']);
      expect(view.see(join(root, 'a', 'b'))).toBe(`${VIEW_AT}/a/b`);
      expect(view.see(root)).toBe(VIEW_AT);
      expect(() => view.see(`${root}-other/a`)).toThrow(/not under/);
    } finally {
      view.close();
    }
    await vi.waitFor(() => expect(alive(view.pid)).toBe(false), { timeout: 5_000 });
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
