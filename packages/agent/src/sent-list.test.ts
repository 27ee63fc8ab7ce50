import { appendFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { endSentPass, openSentList, sentNames } from './sent-list.js';

const runDir = mkdtempSync(join(tmpdir(), 'ff-sent-'));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

const E = 'vol@+data';
const sum = 'ab'.repeat(16);
const names = (l: Buffer[] | undefined) => l?.map((b) => b.toString('latin1')).sort();

async function pass(id: string, sent: (string | Buffer)[], ok: boolean | undefined): Promise<void> {
  const w = await openSentList(runDir, id, E);
  for (const n of sent) w.add(typeof n === 'string' ? Buffer.from(n) : n, sum);
  await w.close();
  if (ok !== undefined) await endSentPass(runDir, id, E, ok);
}

describe("the sender's list as the second pass's candidates", () => {
  it("every name of every backup asked, once, when each backup's passes all ended well", async () => {
    await pass('20240101_000000', ['a', 'dir/b', Buffer.from([0x6f, 0xff, 0x0a])], true);
    await pass('20240101_000000', ['a'], true); // its second pass
    await pass('20240101_000100', ['c'], true);
    expect(names(await sentNames(runDir, ['20240101_000000', '20240101_000100'], E, 100))).toEqual(['a', 'c', 'dir/b', 'o\xff\n']);
    expect(await sentNames(runDir, ['20240101_000000', '20240101_000100'], E, 3)).toBeUndefined();
    expect(await sentNames(runDir, ['20240101_000000', '20240101_000200'], E, 100)).toBeUndefined();
    expect(await sentNames(runDir, ['20240101_000000'], 'other@+vol', 100)).toBeUndefined();
  });

  it('a failed pass spoils its backup\'s list for good, even when a retry then succeeds', async () => {
    await pass('20240102_000000', ['a'], false);
    expect(await sentNames(runDir, ['20240102_000000'], E, 100)).toBeUndefined();
    await pass('20240102_000000', ['a', 'b'], true);
    expect(await sentNames(runDir, ['20240102_000000'], E, 100)).toBeUndefined();
  });

  it('a pass still running, or one whose agent stopped before it ended, leaves no list to trust', async () => {
    await pass('20240103_000000', ['a'], undefined);
    expect(await sentNames(runDir, ['20240103_000000'], E, 100)).toBeUndefined();
    // the next pass of that backup (its agent restarted) finds the marker: the list stays spoiled
    await pass('20240103_000000', ['a'], true);
    expect(await sentNames(runDir, ['20240103_000000'], E, 100)).toBeUndefined();
  });

  it('lines are gathered into large writes and all reach the file by close', async () => {
    const many = Array.from({ length: 5000 }, (_, i) => `f${i}`);
    await pass('20240104_000000', many, true);
    expect((await sentNames(runDir, ['20240104_000000'], E, 10_000))?.length).toBe(5000);
  });

  it('stopping at max leaves no list open (the agent runs for months)', async () => {
    // an fd of another part of the test process may close between the listing and its readlink
    const target = (fd: string) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return '';
      }
    };
    const openLists = () => readdirSync('/proc/self/fd').filter((fd) => target(fd).startsWith(runDir)).length;
    for (let i = 0; i < 20; i++) expect(await sentNames(runDir, ['20240104_000000'], E, 10)).toBeUndefined();
    // a stream closes its descriptor a moment after destroy(); a leak keeps all twenty open
    await vi.waitFor(() => expect(openLists()).toBe(0));
  });

  it('a list with a malformed line is not trusted (the tree is walked instead)', async () => {
    await pass('20240105_000000', ['a', 'b'], true);
    expect(names(await sentNames(runDir, ['20240105_000000'], E, 100))).toEqual(['a', 'b']);
    appendFileSync(join(runDir, 'sent', '20240105_000000', `${E}.list`), 'c\n');
    expect(await sentNames(runDir, ['20240105_000000'], E, 100)).toBeUndefined();
  });
});
