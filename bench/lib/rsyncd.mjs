// The raw baseline: an rsync daemon on loopback serving one module rooted at `path`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { freePort, findBinary, exec, sleep } from './util.mjs';

/**
 * An rsync daemon on loopback serving `path` as module `bench`. Its stop goes onto `undo` (an
 * undoList) as soon as it runs, so a bench stopped while it starts leaves no daemon behind.
 */
export async function startRsyncd(dir, path, undo) {
  const port = await freePort();
  const conf = join(dir, 'rsyncd.conf');
  writeFileSync(
    conf,
    [
      `log file = ${join(dir, 'rsyncd.log')}`,
      'use chroot = no',
      'reverse lookup = no',
      '[bench]',
      `  path = ${path}`,
      '  read only = false',
      '  uid = root',
      '  gid = root',
      '  numeric ids = yes',
      '',
    ].join('\n'),
  );
  let child;
  let exited = Promise.resolve();
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  // before it starts: a bench already stopping throws here, and nothing is left running
  undo?.push(stop);
  // not common's runner: it gives the child a socketpair as stdin, and rsync --daemon with a
  // socket on stdin runs in inetd mode (serves that one "connection" and exits)
  child = spawn(findBinary('rsync'), ['--daemon', '--no-detach', `--config=${conf}`, `--port=${port}`, '--address=127.0.0.1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; ; i++) {
    try {
      await exec('rsync', [`rsync://127.0.0.1:${port}/`], { timeoutMs: 5_000 });
      break;
    } catch (e) {
      if (i === 99 || child.exitCode !== null) throw new Error(`the rsync daemon for ${path} on port ${port} ${child.exitCode !== null ? `exited (${child.exitCode})` : 'did not answer'}: ${e.message}`);
      await sleep(50);
    }
  }
  return {
    port,
    url: (rel) => `rsync://127.0.0.1:${port}/bench/${rel}`,
    stop,
  };
}

/** The flags every freezeframe transfer gives rsync (tools/rsync.ts rsyncPushArgs), without progress and stats. */
export const FF_FLAGS = ['-aHAX', '--numeric-ids', '--delete'];

/** `rsync -a <from>/ <to>/` (either side may be an rsync:// URL); returns ms. */
export async function rawRsync(from, to, extra = []) {
  const r = await exec('rsync', ['-a', ...extra, `${from.replace(/\/+$/, '')}/`, `${to.replace(/\/+$/, '')}/`]);
  return r.durationMs;
}
