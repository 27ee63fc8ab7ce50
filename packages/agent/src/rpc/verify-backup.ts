import { checkBackupId, checkEntry, errorMessage } from '@freezeframe/common';
import type { VerifyBackupRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/VerifyBackupRequest.js';
import type { VerifyBackupResponse } from '@freezeframe/common/generated/freezeframe/v1/VerifyBackupResponse.js';
import { verifyChecksums } from '../checksums.js';
import { needTarget, type AgentContext } from '../context.js';
import type { StorageIntegrity, TargetProvider } from '../providers/target/types.js';
import { poolErrorsNone, poolOf, zpoolStatus } from '../tools/zfs.js';

/**
 * Files a restore's check re-reads when the file system proves the rest (StorageIntegrity): 1%,
 * at least 100. A damaged block in a sampled file is found before anything is written; in any
 * other file it fails its read during the restore (the file system's checksum), naming the file.
 */
const restoreSample = (recorded: number) => Math.max(100, Math.ceil(recorded / 100));

async function storageIntegrity(target: TargetProvider, backupId: string): Promise<StorageIntegrity | undefined> {
  if (!target.integrity) return undefined;
  try {
    return await target.integrity(backupId);
  } catch (e) {
    return { why: `what the file system proves could not be read: ${errorMessage(e)}` };
  }
}

/**
 * Re-reads a tagged backup and compares its files with the checksums recorded at tag time:
 * every file, or for a restore (`for_restore`) on a target whose file system proves the backup
 * unchanged and checksums what it reads, a random sample.
 */
export async function verifyBackup(ctx: AgentContext, req: VerifyBackupRequest__Output): Promise<VerifyBackupResponse> {
  const backupId = checkBackupId(req.backup_id);
  const entries = req.entries.map((e, i) => checkEntry(e, `entries[${i}]`));
  const target = needTarget(ctx);
  const problems: string[] = [];
  let poolState = '';
  const cfg = ctx.config.target;
  if (cfg?.kind === 'zfs') {
    try {
      const st = await zpoolStatus(poolOf(cfg.dataset), { logger: ctx.log });
      poolState = `${st.state}; errors: ${st.errors}`;
      if (st.state !== 'ONLINE') problems.push(`pool ${st.pool} is ${st.state}`);
      if (!poolErrorsNone(st.errors)) problems.push(`pool ${st.pool} reports errors: ${st.errors}`);
    } catch (e) {
      problems.push(`zpool status: ${errorMessage(e)}`);
    }
  }
  const { root, entries: present } = await target.activate(backupId);
  try {
    for (const e of entries) if (!present.includes(e)) problems.push(`backup ${backupId} has no entry ${e}`);
    const proof = req.for_restore ? await storageIntegrity(target, backupId) : undefined;
    const sampled = proof !== undefined && 'proven' in proof;
    const r = await verifyChecksums(root, entries, sampled ? { sample: restoreSample } : {});
    if (!r.hasChecksums) problems.push(`backup ${backupId} has no recorded checksums (tagged by an older version)`);
    const method = sampled
      ? `${r.checked} of ${r.recorded} files re-read, chosen at random; ${proof.proven}`
      : `every file re-read${proof && 'why' in proof ? ` (not a sample: ${proof.why})` : ''}`;
    const bad = [...r.bad.map((p) => `${p}: checksum differs from the one recorded at backup time`), ...r.unreadable];
    const missing = r.missing.map((p) => `${p}: missing`);
    return {
      ok: problems.length === 0 && bad.length === 0 && missing.length === 0,
      files_checked: String(r.checked),
      bad,
      missing,
      has_checksums: r.hasChecksums,
      pool_state: poolState,
      problems,
      method,
    };
  } finally {
    await target.deactivate(backupId).catch((e: unknown) => ctx.log.warn({ backup_id: backupId, err: errorMessage(e) }, 'deactivate after verify failed'));
  }
}
