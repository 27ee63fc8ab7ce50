import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, type Logger, type SourceConfig } from '@freezeframe/common';
import { openBeneath, openTrustedDir, withDir, type SafeDir } from '../../safe-fs.js';
import { nodetoolClearSnapshot, nodetoolFlush, nodetoolSnapshot, nodetoolStatusOk, type NodetoolOptions } from '../../tools/nodetool.js';
import { mountHolding } from '../../mountinfo.js';
import { creatableCheck, firstLine, folderCheck, fsKind, programCheck, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import { linkTree, openSnapshot, tableDirs, type TableDir } from './cassandra-layout.js';
import type { SourceProvider } from './types.js';

export type CassandraConfig = Extract<SourceConfig, { kind: 'cassandra' }>;

/** Written into every sent tree: which backup it is and what it holds, so a restore can check it. */
export const STAGE_MARKER = '.freezeframe.json';

export interface StageMarker {
  backupId: string;
  keyspaces: string[];
  /** keyspace -> table -> uuid of the table folder the snapshot came from. */
  tables: Record<string, Record<string, string>>;
  takenAtUnixMs: number;
}

/** Health is polled by monitoring and every preflight: `nodetool status` must answer within this. */
const NODETOOL_STATUS_TIMEOUT_MS = 20_000;

/**
 * Cassandra keyspaces (the configured ones; never the system keyspaces). A snapshot is
 * `nodetool flush` + `nodetool snapshot -t <backup id> <keyspaces>`; what is sent is a tree of
 * hard links `<stagingDir>/backup/<id>/<keyspace>/<table>/` to the snapshot's files, the
 * layout operators restore from. Restores land in `<stagingDir>/restore/` and are put in place
 * by RestoreKeyspace.
 */
export class CassandraSource implements SourceProvider {
  readonly kind = 'cassandra';
  readonly pointInTime = true;
  readonly volume: string;

  constructor(
    readonly cfg: CassandraConfig,
    readonly log: Logger,
  ) {
    this.volume = cfg.dataDir;
  }

  nodetool(signal?: AbortSignal, timeoutMs = this.cfg.nodetoolTimeout): NodetoolOptions {
    return { bin: this.cfg.nodetool, timeoutMs, logger: this.log, ...(signal ? { signal } : {}) };
  }

  private treeOf(backupId: string): string {
    return join(this.cfg.stagingDir, 'backup', checkBackupId(backupId));
  }

  /** Where a restore's files are received (the data channel's destination for this node). */
  restoreStaging(): string {
    return join(this.cfg.stagingDir, 'restore');
  }

  async prepare(backupId: string, signal?: AbortSignal): Promise<void> {
    const tree = this.treeOf(backupId);
    if (await this.marker(tree)) return;
    const nt = this.nodetool(signal);
    await nodetoolFlush(nt);
    await nodetoolSnapshot(nt, backupId, this.cfg.keyspaces);
    const partialName = `${backupId}.partial`;
    const marker: StageMarker = { backupId, keyspaces: [...this.cfg.keyspaces], tables: {}, takenAtUnixMs: Date.now() };
    let files = 0;
    await withDir(await openTrustedDir(join(this.cfg.stagingDir, 'backup'), { create: true }), async (stage) => {
      await stage.removeTree(partialName);
      await withDir(await stage.mustDir(partialName, { create: 0o700 }), async (partial) => {
        for (const ks of this.cfg.keyspaces) {
          const tables = await tableDirs(this.cfg.dataDir, ks);
          if (tables.size === 0) {
            throw new FfError('SNAPSHOT_FAILED', `keyspace ${ks} has no tables in ${join(this.cfg.dataDir, ks)}`, {
              hint: 'check source.keyspaces and source.dataDir in the agent config',
            });
          }
          marker.tables[ks] = {};
          await withDir(await partial.mustDir(ks, { create: 0o700 }), async (ksOut) => {
            for (const [table, dirs] of tables) {
              // only a live table gets a new snapshot; dropped tables' folders have none with this tag
              const withSnap: Array<{ d: TableDir; snap: SafeDir }> = [];
              try {
                for (const d of dirs) {
                  const snap = await openSnapshot(this.cfg.dataDir, d, backupId);
                  if (snap) withSnap.push({ d, snap });
                }
                if (withSnap.length === 0) continue;
                if (withSnap.length > 1) {
                  throw new FfError('SNAPSHOT_FAILED', `table ${ks}.${table} has snapshot ${backupId} in ${withSnap.length} folders: ${withSnap.map((w) => w.d.path).join(', ')}`);
                }
                const { d, snap } = withSnap[0]!;
                const c = await withDir(await ksOut.mustDir(table, { create: 0o700 }), (out) => linkTree(snap, out));
                marker.tables[ks]![table] = d.uuid;
                files += c.files;
              } finally {
                for (const w of withSnap) await w.snap.close();
              }
            }
          });
        }
        await partial.writeNew(STAGE_MARKER, JSON.stringify(marker, null, 2) + '\n', 0o600);
      });
      await stage.rename(partialName, backupId);
    });
    this.log.info({ backup_id: backupId, keyspaces: this.cfg.keyspaces, files, tree }, 'cassandra snapshot taken');
  }

  /**
   * The staged tree, checked free of planted links now. rsync opens it by name afterwards, so
   * keep stagingDir in a folder only root can write to (see docs/security.md).
   */
  async snapshotPath(backupId: string): Promise<string> {
    const tree = this.treeOf(backupId);
    if (!(await this.marker(tree))) {
      throw new FfError('NOT_FOUND', `no snapshot for backup ${backupId} of keyspaces ${this.cfg.keyspaces.join(', ')} (no ${tree})`, { hint: 'call PrepareSnapshot first' });
    }
    return tree;
  }

  async remove(backupId: string): Promise<boolean> {
    const tree = this.treeOf(backupId);
    const had = (await this.marker(tree)) !== undefined;
    await nodetoolClearSnapshot(this.nodetool(), backupId);
    const stage = await openBeneath(this.cfg.stagingDir, 'backup');
    if (stage) {
      await withDir(stage, async () => {
        await stage.removeTree(checkBackupId(backupId));
        await stage.removeTree(`${backupId}.partial`);
      });
    }
    if (had) this.log.info({ backup_id: backupId }, 'cassandra snapshot cleared');
    return had;
  }

  /** Staged trees and the tags of snapshots left in the table folders (a prepare that died half way). */
  async listSnapshots(): Promise<string[]> {
    const names = async (d: SafeDir | undefined) => (d ? withDir(d, () => d.list()) : []);
    const ids = new Set((await names(await openBeneath(this.cfg.stagingDir, 'backup'))).filter((n) => BACKUP_ID_RE.test(n)));
    for (const ks of this.cfg.keyspaces) {
      for (const dirs of (await tableDirs(this.cfg.dataDir, ks)).values()) {
        for (const d of dirs) {
          for (const tag of await names(await openBeneath(this.cfg.dataDir, d.keyspace, d.folder, 'snapshots'))) if (BACKUP_ID_RE.test(tag)) ids.add(tag);
        }
      }
    }
    return [...ids].sort();
  }

  /** Made if missing and checked free of planted links now; rsync writes into it by name afterwards (see snapshotPath). */
  async restorePath(): Promise<string> {
    const dir = this.restoreStaging();
    await (await openTrustedDir(dir, { create: true })).close();
    return dir;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.cfg.dataDir);
    return s.bavail * s.bsize;
  }

  /**
   * dataDir and commitlogDir exist, stagingDir is on dataDir's file system (it holds hard links
   * into it), nodetool runs; live: free space and whether Cassandra answers `nodetool status`
   * (an `application` check: Health decides whether it being down was on purpose).
   */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const data = await folderCheck('source-volume', 'source.dataDir', this.cfg.dataDir);
    let staging = await creatableCheck('source-snapshots', 'source.stagingDir', this.cfg.stagingDir);
    if (data.ok && staging.ok) {
      try {
        const [d, s] = await Promise.all([mountHolding(this.cfg.dataDir), mountHolding(this.cfg.stagingDir)]);
        if (!d || !s || d.mountPoint !== s.mountPoint || d.source !== s.source) {
          staging = { name: 'source-snapshots', ok: false, detail: `source.stagingDir: ${this.cfg.stagingDir} is on ${fsKind(s)}, not on the file system of source.dataDir (${fsKind(d)}): hard links cannot cross it` };
        }
      } catch (e) {
        staging = { name: 'source-snapshots', ok: false, detail: `source.stagingDir: cannot tell its file system: ${firstLine(String(e))}` };
      }
    }
    const out = [
      data,
      await folderCheck('cassandra-commitlog', 'source.commitlogDir', this.cfg.commitlogDir),
      staging,
      await programCheck('nodetool', 'source.nodetool', this.cfg.nodetool),
    ];
    if (!o.live) return out;
    if (data.ok) out.push(await spaceCheck('source-space', `source volume ${this.volume}`, () => this.freeBytes()));
    const s = await nodetoolStatusOk(this.nodetool(undefined, Math.min(this.cfg.nodetoolTimeout, NODETOOL_STATUS_TIMEOUT_MS)));
    out.push({
      name: 'cassandra',
      ok: s.ok,
      application: true,
      detail: s.ok ? `cassandra answers nodetool status (${this.cfg.nodetool})` : `cassandra does not answer nodetool status: ${firstLine(s.output)}`,
    });
    return out;
  }

  /** The marker of a staged tree, if it is complete. */
  async marker(tree: string): Promise<StageMarker | undefined> {
    const dir = await openBeneath(tree);
    const text = dir && (await withDir(dir, () => dir.readText(STAGE_MARKER)));
    return text === undefined ? undefined : (JSON.parse(text) as StageMarker);
  }
}
