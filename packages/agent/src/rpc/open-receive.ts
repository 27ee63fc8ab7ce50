import { FfError, checkBackupId, checkEntry, checkName } from '@freezeframe/common';
import { restoreVolume } from '../source-volumes.js';
import type { OpenReceiveRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/OpenReceiveRequest.js';
import type { OpenReceiveResponse } from '@freezeframe/common/generated/freezeframe/v1/OpenReceiveResponse.js';
import { needSources, needTarget, type AgentContext } from '../context.js';
import type { TicketGrant } from '../tickets.js';

/** Every receiving rsync keeps holes as holes (a sparse file must not grow to its full size). */
const RECEIVER_OPTIONS = ['--sparse'];

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
    const entry = checkEntry(req.entry);
    const target = needTarget(ctx);
    ctx.targetLock.receive(backupId);
    const { path, rsyncOptions } = await target.prepareReceive(backupId, entry, { recheck: req.recheck });
    const options = [...rsyncOptions, ...RECEIVER_OPTIONS, ...(req.recheck ? ['--ignore-times'] : [])];
    grant = { backupId, source, entry, direction: 'backup', peer, path, rsyncOptions: options, allowNotStored: ctx.config.target?.unsupported ?? [] };
  } else if (req.direction === 'DIRECTION_RESTORE') {
    const volumes = needSources(ctx);
    if (!ctx.config.allowRestore) {
      throw new FfError('PERMISSION_DENIED', `node ${ctx.config.name} does not accept restores`, {
        hint: 'set allowRestore: true in its agent config for the time of the restore',
      });
    }
    // `source` names the backup's source (it may differ when restoring one deployment into another);
    // the folder written is always this node's own volume
    const volume = restoreVolume(volumes, ctx.config.name, req.entry ? checkEntry(req.entry) : '');
    // a restore never trusts size and mtime to skip a file: what is on the node may differ in content
    grant = { backupId, source, entry: req.entry ? req.entry : volume.entry, direction: 'restore', peer, path: await volume.provider.restorePath(), rsyncOptions: [...RECEIVER_OPTIONS, '--ignore-times'] };
  } else {
    throw new FfError('INVALID_ARGUMENT', `direction ${JSON.stringify(req.direction)} must be DIRECTION_BACKUP or DIRECTION_RESTORE`, {
      details: { field: 'direction' },
    });
  }
  const t = ctx.tickets.issue(grant);
  ctx.log.info({ backup_id: backupId, source, entry: grant.entry, peer, direction: grant.direction, path: grant.path, options: grant.rsyncOptions }, 'ticket issued');
  return { ticket: t.ticket, data_port: ctx.dataPort, expires_unix_ms: String(t.expiresUnixMs), inplace: t.rsyncOptions.includes('--inplace') };
}

