import { join } from 'node:path';
import { DRILL_ID_RE, FfError, checkBackupId, checkDrillId, checkName, isFfError } from '@freezeframe/common';
import type { CheckDrillRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/CheckDrillRequest.js';
import type { CheckDrillResponse } from '@freezeframe/common/generated/freezeframe/v1/CheckDrillResponse.js';
import type { OpenDrillRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/OpenDrillRequest.js';
import type { OpenReceiveResponse } from '@freezeframe/common/generated/freezeframe/v1/OpenReceiveResponse.js';
import type { RemoveDrillRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/RemoveDrillRequest.js';
import type { RemoveDrillResponse } from '@freezeframe/common/generated/freezeframe/v1/RemoveDrillResponse.js';
import type { AgentContext } from '../context.js';
import { RESTORED, checkRestored } from '../drill-check.js';
import { openDrillDir } from '../drill-dir.js';
import { checkSample } from '../drill-sample.js';
import { withDir } from '../safe-fs.js';
import { RECEIVER_OPTIONS } from './open-receive.js';

// The drill node's RPCs of a restore drill (see drill-dir.ts for where it may write). Each call
// checks the folder again from the agent's own config: the agent keeps no state about drills, so a
// restarted agent still removes what a drill left.

/**
 * Makes `<dir>/<drill id>` (mode 0700; a retry of the same drill finds it and writes into it
 * again) and `<dir>/<drill id>/restored`, which receives the backup, and issues a one-time ticket
 * for the target. The data lands under a folder only root can enter whatever modes the backup's
 * root folder carries (rsync gives `restored` the backup root's own).
 */
export async function openDrill(ctx: AgentContext, req: OpenDrillRequest__Output): Promise<OpenReceiveResponse> {
  const drillId = checkDrillId(req.drill_id);
  const backupId = checkBackupId(req.backup_id);
  const peer = checkName(req.peer, 'peer');
  const { dir, path } = await openDrillDir(ctx.config, req.dir, { create: true });
  await withDir(dir, async (d) => {
    const own = await d.mustDir(drillId, { create: 0o700 });
    await withDir(own, async (o) => (await o.mustDir(RESTORED, { create: 0o700 })).close());
  });
  const folder = join(path, drillId, RESTORED);
  const t = ctx.tickets.issue({ backupId, source: drillId, entry: RESTORED, direction: 'restore', peer, path: folder, rsyncOptions: [...RECEIVER_OPTIONS] });
  ctx.log.info({ backup_id: backupId, drill_id: drillId, peer, path: folder }, 'drill ticket issued');
  // as OpenReceive answers: this agent takes every data-channel session to stunnel when it has it
  return { ticket: t.ticket, data_port: ctx.dataPort, expires_unix_ms: String(t.expiresUnixMs), inplace: false, native: ctx.stunnel !== undefined };
}

/** Compares the restored tree of a drill with the checksums recorded at backup time. */
export async function checkDrill(ctx: AgentContext, req: CheckDrillRequest__Output): Promise<CheckDrillResponse> {
  const drillId = checkDrillId(req.drill_id);
  checkBackupId(req.backup_id);
  const sample = checkSample(req.sample_percent, req.sample_seed);
  const { dir, path } = await openDrillDir(ctx.config, req.dir);
  await withDir(dir, async (d) => {
    const own = await d.dir(drillId);
    if (!own) throw new FfError('NOT_FOUND', `drill ${drillId} has no folder in ${path} on ${ctx.config.name}`, { hint: 'run the drill again' });
    await withDir(own, async (o) => (await o.mustDir(RESTORED)).close());
  });
  const c = await checkRestored(join(path, drillId, RESTORED), sample);
  ctx.log.info({ drill_id: drillId, ok: c.ok, files: c.filesChecked, different: c.differentTotal, missing: c.missingTotal, extra: c.extraTotal }, 'drill checked');
  return {
    ok: c.ok,
    files_recorded: String(c.filesRecorded),
    files_expected: String(c.filesExpected),
    files_checked: String(c.filesChecked),
    bytes_checked: String(c.bytesChecked),
    different: c.different,
    missing: c.missing,
    extra: c.extra,
    different_total: String(c.differentTotal),
    missing_total: String(c.missingTotal),
    extra_total: String(c.extraTotal),
    problems: c.problems,
    duration_ms: String(c.durationMs),
    entries: c.entries,
  };
}

/**
 * Deletes `<dir>/<drill id>`, or with `leftovers` every `drill_*` folder in dir but `drill_id`
 * (drills whose director died). Links inside are removed, never followed; a missing folder is
 * nothing to do.
 */
export async function removeDrill(ctx: AgentContext, req: RemoveDrillRequest__Output): Promise<RemoveDrillResponse> {
  const keep = req.leftovers && req.drill_id === '' ? '' : checkDrillId(req.drill_id);
  let opened;
  try {
    opened = await openDrillDir(ctx.config, req.dir);
  } catch (e) {
    if (isFfError(e, 'NOT_FOUND')) return { removed: [] };
    throw e;
  }
  const { dir, path } = opened;
  return withDir(dir, async (d) => {
    const names = req.leftovers ? (await d.list()).filter((n) => DRILL_ID_RE.test(n) && n !== keep) : [keep];
    const removed: string[] = [];
    for (const n of names) {
      const st = await d.lstat(n);
      if (!st?.isDirectory()) continue;
      if (!req.dry_run) await d.removeTree(n);
      removed.push(join(path, n));
    }
    if (removed.length > 0 && !req.dry_run) ctx.log.info({ drill_id: keep || undefined, removed }, 'drill folders removed');
    return { removed };
  });
}
