import { join } from 'node:path';
import { FfError, checkBackupId, checkEntry, checkName, checkRestoreId, isFfError } from '@freezeframe/common';
import { TO_DIR, openDrillDir } from '../drill-dir.js';
import { journalFor, spoilJournal } from '../receive-journal.js';
import { withDir } from '../safe-fs.js';
import { findVolume, restoreVolume } from '../source-volumes.js';
import type { OpenReceiveRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/OpenReceiveRequest.js';
import type { OpenReceiveResponse } from '@freezeframe/common/generated/freezeframe/v1/OpenReceiveResponse.js';
import { needSources, needTarget, type AgentContext } from '../context.js';
import type { TicketGrant } from '../tickets.js';
import { refuseOnReplica } from './replica.js';

/** Every receiving rsync keeps holes as holes (a sparse file must not grow to its full size). */
export const RECEIVER_OPTIONS: readonly string[] = ['--sparse'];
/** A restore never trusts size and mtime to skip a file: what is on the node may differ in content. */
export const RESTORE_RECEIVER_OPTIONS: readonly string[] = [...RECEIVER_OPTIONS, '--ignore-times'];

/** A link (or a file) where the agent makes the folders of a restore --to-dir: refused naming the field. */
function namingToDir(e: unknown): never {
  if (isFfError(e) && (e.code === 'FAILED_PRECONDITION' || e.code === 'NOT_FOUND')) {
    throw new FfError(e.code, `to_dir: ${e.message}`, { ...(e.hint ? { hint: e.hint } : {}), details: { ...e.details, field: 'to_dir' } });
  }
  if ((e as NodeJS.ErrnoException).code === 'ENOTDIR' || (e as NodeJS.ErrnoException).code === 'EEXIST') {
    throw new FfError('FAILED_PRECONDITION', `to_dir: ${(e as Error).message}`, { details: { field: 'to_dir' } });
  }
  throw e;
}

/**
 * Issues a one-time data-channel ticket. The receive folder and the receiver's rsync options
 * are decided here, from this agent's config; the sender only ever learns the ticket.
 */
export async function openReceive(ctx: AgentContext, req: OpenReceiveRequest__Output): Promise<OpenReceiveResponse> {
  const backupId = checkBackupId(req.backup_id);
  const source = checkName(req.source, 'source');
  const peer = checkName(req.peer, 'peer');
  let grant: TicketGrant;
  if (req.direction === 'DIRECTION_BACKUP') {
    const extra = req.to_dir ? 'to_dir' : req.restore_id ? 'restore_id' : req.into_entry ? 'into_entry' : undefined;
    if (extra) throw new FfError('INVALID_ARGUMENT', `${extra} is for restores, not backups`, { details: { field: extra } });
    const entry = checkEntry(req.entry);
    const target = needTarget(ctx);
    refuseOnReplica(ctx, `a backup of ${source} (DIRECTION_BACKUP)`);
    ctx.targetLock.receive(backupId);
    // decided before prepareReceive, which may rewrite the tree; a receive still running (another
    // backup's, left behind) could write what no journal of this backup says
    const quiet = ctx.activeSessions() === 0;
    // asked once for both: prepareReceive's folder for a new entry is empty, so the answer holds after it
    let asked: Promise<boolean> | undefined;
    const clean = target.cleanSinceLastTag ? () => (asked ??= target.cleanSinceLastTag!()) : undefined;
    const journal = clean ? await journalFor(ctx.config.runDir, backupId, entry, async () => quiet && (await clean())) : undefined;
    const { path, rsyncOptions, viewRoot, linksMunged, rewrote } = await target.prepareReceive(backupId, entry, { recheck: req.recheck, ...(clean ? { clean } : {}) });
    if (journal && rewrote) await spoilJournal(journal);
    const options = [...rsyncOptions, ...RECEIVER_OPTIONS, ...(req.recheck ? ['--ignore-times'] : [])];
    grant = {
      backupId,
      source,
      entry,
      direction: 'backup',
      peer,
      path,
      rsyncOptions: options,
      allowNotStored: ctx.config.target?.unsupported ?? [],
      ...(viewRoot ? { viewRoot, ...(linksMunged ? { linksMunged } : {}) } : {}),
      ...(journal && !rewrote ? { journal } : {}),
    };
  } else if (req.direction === 'DIRECTION_RESTORE' && req.to_dir) {
    // into a folder of its own inside restoreDirs, as a drill: nothing live is written, so no allowRestore
    const restoreId = checkRestoreId(req.restore_id);
    const entry = checkEntry(req.entry);
    if (req.into_entry) throw new FfError('INVALID_ARGUMENT', 'into_entry names a live volume: a restore into to_dir writes none', { details: { field: 'into_entry' } });
    const { dir, path } = await openDrillDir(ctx.config, req.to_dir, { create: true, use: TO_DIR });
    await withDir(dir, async (d) => {
      // a retry of the same restore (or its next volume of this node) finds them and writes there again
      const own = await d.mustDir(restoreId, { create: 0o700 }).catch(namingToDir);
      await withDir(own, async (o) => (await o.mustDir(entry, { create: 0o700 }).catch(namingToDir)).close());
    });
    grant = { backupId, source, entry, direction: 'restore', peer, path: join(path, restoreId, entry), rsyncOptions: [...RESTORE_RECEIVER_OPTIONS] };
  } else if (req.direction === 'DIRECTION_RESTORE') {
    const volumes = needSources(ctx);
    if (!ctx.config.allowRestore) {
      throw new FfError('PERMISSION_DENIED', `node ${ctx.config.name} does not accept restores`, {
        hint: 'set allowRestore: true in its agent config for the time of the restore (a restore --to-dir into its restoreDirs needs none)',
      });
    }
    if (req.restore_id) checkRestoreId(req.restore_id);
    // `entry` names the backup's entry (another node's when restoring one deployment into another,
    // or with --map); the folder written is always one of this node's own volumes
    const entry = req.entry ? checkEntry(req.entry) : '';
    const volume = req.into_entry ? findVolume(volumes, ctx.config.name, checkEntry(req.into_entry, 'into_entry'), 'into_entry') : restoreVolume(volumes, ctx.config.name, entry);
    grant = { backupId, source, entry: entry || volume.entry, direction: 'restore', peer, path: await volume.provider.restorePath(), rsyncOptions: [...RESTORE_RECEIVER_OPTIONS] };
  } else {
    throw new FfError('INVALID_ARGUMENT', `direction ${JSON.stringify(req.direction)} must be DIRECTION_BACKUP or DIRECTION_RESTORE`, {
      details: { field: 'direction' },
    });
  }
  const t = ctx.tickets.issue(grant);
  ctx.log.info({ backup_id: backupId, source, entry: grant.entry, peer, direction: grant.direction, path: grant.path, options: grant.rsyncOptions }, 'ticket issued');
  return { ticket: t.ticket, data_port: ctx.dataPort, expires_unix_ms: String(t.expiresUnixMs), inplace: t.rsyncOptions.includes('--inplace'), native: ctx.stunnel !== undefined };
}

