import { FfError } from '@freezeframe/common';
import type { BackupListing } from './types.js';

// What a backup id means on the target, the same in every command.

/** The newest complete backup, by id (ids sort by time). */
export function pickLatest(backups: readonly BackupListing[]): BackupListing | undefined {
  return [...backups].filter((b) => b.complete).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : b.createdMs - a.createdMs))[0];
}

/**
 * What `id` names among the target's backups: `latest` is the newest complete backup (the
 * same in show, verify and restore), anything else that exact id. NOT_FOUND names the target.
 */
export function resolveBackup(backups: readonly BackupListing[], id: string, targetName: string): BackupListing {
  const chosen = id === 'latest' ? pickLatest(backups) : backups.find((b) => b.id === id);
  if (!chosen) {
    throw new FfError('NOT_FOUND', id === 'latest' ? `${targetName}: there is no complete backup yet` : `${targetName}: no backup ${id}`, {
      node: targetName,
      hint: 'see `freezeframe list` for the backups on the target',
    });
  }
  return chosen;
}
