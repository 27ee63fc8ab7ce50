import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FfError, KEYSPACE_RE, errorMessage, isFfError } from '@freezeframe/common';
import { serviceControl } from '../../services.js';
import { nodetoolDrain, nodetoolRepair, nodetoolStatusOk } from '../../tools/nodetool.js';
import { openBeneath, openTrustedDir, withDir, type SafeDir } from '../../safe-fs.js';
import { SNAPSHOT_METADATA, forEachLiveFile, isNotLive, linkTree, openTable, tableDirs, type TableDir } from './cassandra-layout.js';
import { STAGE_MARKER, type CassandraSource } from './cassandra.js';

export interface KeyspaceStep {
  step: 'check' | 'drain' | 'stop' | 'clear-commitlog' | 'delete' | 'place' | 'start' | 'wait' | 'repair' | 'cleanup';
  keyspace?: string;
  table?: string;
  detail: string;
  files?: number;
  bytes?: number;
  durationMs: number;
}

interface Plan {
  keyspace: string;
  tables: Array<{ table: string; live: TableDir; others: number }>;
}

/**
 * Restores keyspaces the way operators do it by hand, from the backup already received into
 * the restore staging folder: stop Cassandra, clear the commit log, delete each table's old
 * sstables, put the snapshot's files in place owned like the table folder, start, wait until
 * `nodetool status` answers, `nodetool repair` each keyspace. Everything that can be checked
 * is checked before Cassandra is stopped. A failure after the stop leaves Cassandra stopped:
 * half-restored tables must not serve reads. The Cassandra user owns the data and commit-log
 * trees: a link planted anywhere in them is refused (at the check if it is there by then),
 * and only the files and folders placed here are given the table folder's owner.
 */
export async function restoreKeyspaces(
  src: CassandraSource,
  backupId: string,
  requested: readonly string[],
  emit: (s: KeyspaceStep) => void,
  signal?: AbortSignal,
): Promise<void> {
  const cfg = src.cfg;
  const staging = src.restoreStaging();
  const log = src.log.child({ backup_id: backupId });
  const step = async <T>(s: Omit<KeyspaceStep, 'durationMs' | 'detail'> & { detail?: string }, fn: () => Promise<T>, detail?: (r: T) => Partial<KeyspaceStep>): Promise<T> => {
    const t0 = Date.now();
    const r = await fn();
    const out: KeyspaceStep = { detail: '', ...s, ...(detail?.(r) ?? {}), durationMs: Date.now() - t0 };
    log.info({ ...out }, `restore-keyspace: ${out.step}`);
    emit(out);
    return r;
  };

  // check: what is staged, which tables exist, how Cassandra is stopped
  const plans = await step({ step: 'check' }, async () => {
    const marker = await src.marker(staging);
    if (!marker) {
      throw new FfError('FAILED_PRECONDITION', `no backup is staged in ${staging}`, {
        hint: 'the director transfers it first (freezeframe restore-keyspace does both)',
      });
    }
    if (marker.backupId !== backupId) {
      throw new FfError('FAILED_PRECONDITION', `${staging} holds backup ${marker.backupId}, not ${backupId}`, { hint: 'transfer the backup again' });
    }
    const names = async (d: SafeDir | undefined) => (d ? withDir(d, () => d.list()) : []);
    const staged = (await names(await openTrustedDir(staging))).filter((n) => KEYSPACE_RE.test(n));
    const keyspaces = requested.length > 0 ? [...requested] : staged;
    const missing = keyspaces.filter((k) => !staged.includes(k));
    if (missing.length > 0) {
      throw new FfError('NOT_FOUND', `backup ${backupId} has no keyspace ${missing.join(', ')} (it has: ${staged.join(', ') || 'none'})`);
    }
    if (!cfg.service) {
      throw new FfError('FAILED_PRECONDITION', 'source.service is not configured: the agent does not know how to stop and start Cassandra', {
        hint: 'set source.service: { unit: cassandra.service } or { container: <name> } in the agent config',
      });
    }
    const plans: Plan[] = [];
    const problems: string[] = [];
    for (const ks of keyspaces) {
      const live = await tableDirs(cfg.dataDir, ks);
      const plan: Plan = { keyspace: ks, tables: [] };
      for (const table of (await names(await openBeneath(staging, ks))).filter((n) => /^[A-Za-z0-9_]+$/.test(n))) {
        const dirs = live.get(table);
        if (!dirs || dirs.length === 0) {
          problems.push(`table ${ks}.${table} has no folder in ${join(cfg.dataDir, ks)}`);
          continue;
        }
        // refuses a planted link now, while Cassandra still runs
        await withDir(await openTable(cfg.dataDir, dirs[0]!), (d) => forEachLiveFile(d, async () => {}));
        plan.tables.push({ table, live: dirs[0]!, others: dirs.length - 1 });
      }
      plans.push(plan);
    }
    // a linked commit-log folder is refused here too, before anything is stopped
    const commitlog = await openBeneath(cfg.commitlogDir);
    if (commitlog) await commitlog.close();
    if (problems.length > 0) {
      throw new FfError('FAILED_PRECONDITION', `cannot restore: ${problems.join('; ')}; nothing was changed`, {
        hint: 'create the schema first (the backup holds schema.cql per table), then restore again',
      });
    }
    return plans;
  }, (p) => ({ detail: `backup ${backupId}: ${p.map((x) => `${x.keyspace} (${x.tables.length} tables)`).join(', ')}` }));

  const nt = src.nodetool(signal);
  const service = serviceControl(cfg.service!, { timeoutMs: cfg.nodetoolTimeout, log });

  await step({ step: 'drain' }, async () => {
    try {
      await nodetoolDrain(nt);
      return 'memtables flushed, writes stopped';
    } catch (e) {
      // a node that is already down has nothing to drain; the stop decides
      if (isFfError(e, 'CANCELLED')) throw e;
      return `not drained (${errorMessage(e).split('\n')[0]})`;
    }
  }, (d) => ({ detail: d }));

  await step({ step: 'stop' }, () => service.stop(), (was) => ({ detail: `${service.describe} ${was ? 'stopped' : 'was not running'}` }));

  await step({ step: 'clear-commitlog' }, async () => {
    const dir = await openBeneath(cfg.commitlogDir);
    if (!dir) return 0;
    return withDir(dir, async () => {
      let files = 0;
      for (const name of await dir.list()) {
        if ((await dir.lstat(name))?.isFile()) {
          await dir.unlink(name);
          files++;
        }
      }
      return files;
    });
  }, (files) => ({ files, detail: `${files} files removed from ${cfg.commitlogDir}` }));

  for (const plan of plans) {
    for (const t of plan.tables) {
      const base = { keyspace: plan.keyspace, table: t.table };
      await step({ step: 'delete', ...base }, async () => {
        let files = 0;
        let bytes = 0;
        await withDir(await openTable(cfg.dataDir, t.live), (live) =>
          forEachLiveFile(live, async (dir, name, s) => {
            await dir.unlink(name);
            files++;
            bytes += s.size;
          }),
        );
        return { files, bytes };
      }, (c) => ({ ...c, detail: `${c.files} old files removed from ${t.live.path}` }));

      await step({ step: 'place', ...base }, async () => {
        const staged = await openBeneath(staging, plan.keyspace, t.table);
        if (!staged) throw new FfError('RESTORE_FAILED', `${join(staging, plan.keyspace, t.table)} is gone`);
        return withDir(staged, async () =>
          withDir(await openTable(cfg.dataDir, t.live), (live) =>
            linkTree(staged, live, {
              // snapshot metadata and nested snapshots never become live sstables
              skip: (name, depth) => depth === 0 && (SNAPSHOT_METADATA.has(name) || isNotLive(name)),
              owner: { uid: live.stat.uid, gid: live.stat.gid },
            }),
          ),
        );
      }, (c) => ({ ...c, detail: `${c.files} files into ${t.live.path}${t.others ? ` (newest of ${t.others + 1} folders of this table)` : ''}` }));
    }
  }

  await step({ step: 'start' }, () => service.start(), (started) => ({ detail: `${service.describe} ${started ? 'started' : 'was already running'}` }));

  await step({ step: 'wait' }, async () => {
    const deadline = Date.now() + cfg.startTimeout;
    let polls = 0;
    for (;;) {
      polls++;
      const s = await nodetoolStatusOk(src.nodetool(signal, Math.min(cfg.nodetoolTimeout, 60_000)));
      if (s.ok) return polls;
      if (Date.now() + cfg.pollInterval > deadline) {
        throw new FfError('RESTORE_FAILED', `Cassandra did not answer \`nodetool status\` within ${cfg.startTimeout} ms after the start: ${s.output.split('\n')[0]}`, {
          hint: 'the files are restored; check the Cassandra log, then run `nodetool repair` for the keyspaces by hand',
        });
      }
      await sleep(cfg.pollInterval, undefined, signal ? { signal } : {});
    }
  }, (polls) => ({ detail: `nodetool status answered after ${polls} poll(s)` }));

  for (const plan of plans) {
    await step({ step: 'repair', keyspace: plan.keyspace }, () => nodetoolRepair(src.nodetool(signal, cfg.repairTimeout), plan.keyspace), () => ({ detail: `nodetool repair ${plan.keyspace} ok` }));
  }

  await step({ step: 'cleanup' }, async () => {
    await withDir(await openTrustedDir(cfg.stagingDir), (d) => d.removeTree('restore'));
  }, () => ({ detail: `removed ${staging}` }));
}

export { STAGE_MARKER };
