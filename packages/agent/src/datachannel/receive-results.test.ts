import { describe, expect, it } from 'vitest';
import { ReceiveResults, judge, parseNotStored } from './receive-results.js';

// stderr of a receiving rsync 3.5.0 into a zfs-fuse dataset and an ext4 folder (recorded)
const ROOT = '/tmp/zt/mnt/t/dst';
const STDERR = [
  'rsync: [receiver] set_acl: xacl_set(.acl.leWcFV, ACL_TYPE_ACCESS): Operation not supported (95)',
  'rsync: [receiver] rsync_xal_set: fsetxattr("/tmp/zt/mnt/t/dst/.bigx.qXSemg","user.big") failed: Operation not supported (95)',
  'rsync: [receiver] failed to set times on "/tmp/zt/mnt/t/dst/.fut.oDvvhT": Value too large for defined data type (75)',
  'rsync: [receiver] chown "/tmp/zt/mnt/t/dst/sub/.own.AJMF1Y" failed: Invalid argument (22)',
  'rsync: [generator] link "/tmp/zt/mnt/t/dst/many/n65001" => many/n1 failed: Too many links (31)',
  'rsync: [receiver] rename "/tmp/zt/mnt/t/dst/.locked.ZJtBet" -> "locked": Operation not permitted (1)',
  'rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [Receiver=3.5.0]',
].join('\n');

describe('the receiving rsync verdict', () => {
  it('names each file rsync could not store, with its class, under its real name', () => {
    expect(parseNotStored(STDERR, ROOT, []).map((n) => [n.path, n.class])).toEqual([
      ['acl', 'acls'],
      ['bigx', 'xattrs'],
      ['fut', 'times'],
      ['sub/own', 'owners'],
      ['many/n65001', 'hardlinks'],
      ['locked', 'other'],
    ]);
  });

  it('exit 23 is ok only when every loss is of an allowed class; "other" is never allowed', () => {
    const allowedAll = ['acls', 'xattrs', 'times', 'owners', 'hardlinks'];
    expect(judge(23, STDERR, ROOT, allowedAll).ok).toBe(false); // the rename
    const noRename = STDERR.split('\n').filter((l) => !l.includes('rename')).join('\n');
    expect(judge(23, noRename, ROOT, allowedAll)).toMatchObject({ ok: true, notStoredTotal: 5 });
    expect(judge(23, noRename, ROOT, ['acls'])).toMatchObject({ ok: false, message: expect.stringMatching(/^rsync exited with 23: /) });
    // another failure (no space, protocol) is never excused, whatever is allowed
    expect(judge(11, noRename, ROOT, allowedAll).ok).toBe(false);
    expect(judge(0, '', ROOT, []).ok).toBe(true);
  });

  it('waits for a session still running, and knows none it never saw', async () => {
    const r = new ReceiveResults();
    const ticket = 'a'.repeat(64);
    expect(await r.get(ticket, 10)).toBeUndefined();
    r.start(ticket);
    setTimeout(() => r.finish(ticket, judge(0, '', ROOT, [])), 50);
    expect(await r.get(ticket, 5_000)).toMatchObject({ state: 'done', ok: true });
    r.start('b'.repeat(64));
    expect(await r.get('b'.repeat(64), 20)).toMatchObject({ state: 'running' });
  });
});
