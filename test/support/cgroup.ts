import { rmdir } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Removes a test's own cgroup folder once its tasks are killed. The kernel answers EBUSY until
 * the killed tasks have left the group, so it retries for about 2 s, then lets the error out.
 */
export async function removeCgroupDir(dir: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      await rmdir(dir);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
      await sleep(10);
    }
  }
  await rmdir(dir);
}
