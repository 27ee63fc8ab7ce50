import { checkBackupId, checkEntry, errorMessage } from '@freezeframe/common';
import type { VerifyBackupRequest__Output } from '@freezeframe/common/generated/freezeframe/v1/VerifyBackupRequest.js';
import type { VerifyBackupResponse } from '@freezeframe/common/generated/freezeframe/v1/VerifyBackupResponse.js';
import { verifyChecksums } from '../checksums.js';
import { needTarget, type AgentContext } from '../context.js';
import { poolErrorsNone, poolOf, zpoolStatus } from '../tools/zfs.js';

/** Re-reads a tagged backup and compares every file with the checksums recorded at tag time. */
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
    const r = await verifyChecksums(root, entries);
    if (!r.hasChecksums) problems.push(`backup ${backupId} has no recorded checksums (tagged by an older version)`);
    const bad = r.bad.map((p) => `${p}: checksum differs from the one recorded at backup time`);
    const missing = r.missing.map((p) => `${p}: missing`);
    return {
      ok: problems.length === 0 && bad.length === 0 && missing.length === 0,
      files_checked: String(r.checked),
      bad,
      missing,
      has_checksums: r.hasChecksums,
      pool_state: poolState,
      problems,
    };
  } finally {
    await target.deactivate(backupId).catch((e: unknown) => ctx.log.warn({ backup_id: backupId, err: errorMessage(e) }, 'deactivate after verify failed'));
  }
}
