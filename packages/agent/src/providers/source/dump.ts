import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BACKUP_ID_RE, FfError, checkBackupId, errorMessage, pathExists, spawnProcess, writeFileAtomic, type Logger, type SourceConfig } from '@freezeframe/common';
import { creatableCheck, programCheck, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import { listDir } from './cassandra-layout.js';
import type { SourceProvider } from './types.js';

type DumpConfig = Extract<SourceConfig, { kind: 'dump' }>;

const DONE_MARKER = '.freezeframe-dumps.json';

/**
 * Database dumps as a source: PrepareSnapshot runs every configured dump program (argv from the
 * agent config, no shell) with its stdout streamed into `<volume>/<backup id>/<output>`; that
 * folder is what is sent. A dump is consistent by itself (e.g. `pg_dump`, `mariadb-dump
 * --single-transaction`), so no filesystem snapshot is needed. A failed dump fails the snapshot.
 */
export class DumpSource implements SourceProvider {
  readonly kind = 'dump';
  readonly pointInTime = true;
  readonly volume: string;

  constructor(
    private readonly cfg: DumpConfig,
    private readonly log: Logger,
  ) {
    this.volume = cfg.volume;
  }

  private folderOf(backupId: string): string {
    return join(this.volume, checkBackupId(backupId));
  }

  async prepare(backupId: string, signal?: AbortSignal): Promise<void> {
    const dir = this.folderOf(backupId);
    if (await this.done(dir)) return;
    const partial = `${dir}.partial`;
    await rm(partial, { recursive: true, force: true });
    await mkdir(partial, { recursive: true, mode: 0o700 });
    const results: Array<{ name: string; output: string; bytes: number; durationMs: number }> = [];
    try {
      for (const d of this.cfg.dumps) {
        const [bin, ...args] = d.argv;
        const out = join(partial, d.output);
        const p = spawnProcess({ bin: bin!, args, timeoutMs: d.timeout, logger: this.log, ...(signal ? { signal } : {}) }, true);
        p.child.stdin!.end();
        const written = pipeline(p.child.stdout!, createWriteStream(out, { mode: 0o600 }));
        try {
          const [r] = await Promise.all([p.done, written]);
          results.push({ name: d.name, output: d.output, bytes: (await stat(out)).size, durationMs: r.durationMs });
        } catch (e) {
          p.kill();
          throw new FfError('SNAPSHOT_FAILED', `dump ${d.name} (${d.argv.join(' ')}) failed: ${errorMessage(e)}`, { cause: e });
        }
      }
      await writeFileAtomic(join(partial, DONE_MARKER), JSON.stringify({ backupId, dumps: results }, null, 2) + '\n');
      await rename(partial, dir);
    } catch (e) {
      await rm(partial, { recursive: true, force: true });
      throw e;
    }
    this.log.info({ backup_id: backupId, dumps: results }, 'dumps written');
  }

  async snapshotPath(backupId: string): Promise<string> {
    const dir = this.folderOf(backupId);
    if (!(await this.done(dir))) throw new FfError('NOT_FOUND', `no dumps for backup ${backupId} in ${this.volume}`, { hint: 'call PrepareSnapshot first' });
    return dir;
  }

  async remove(backupId: string): Promise<boolean> {
    const dir = this.folderOf(backupId);
    const had = await this.done(dir);
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.partial`, { recursive: true, force: true });
    return had;
  }

  async listSnapshots(): Promise<string[]> {
    return (await listDir(this.volume)).filter((n) => BACKUP_ID_RE.test(n));
  }

  /** Restored dumps land in `<volume>/restore/`; loading them into the database is the operator's step. */
  async restorePath(): Promise<string> {
    const dir = join(this.volume, 'restore');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async freeBytes(): Promise<number> {
    const s = await statfs(this.volume);
    return s.bavail * s.bsize;
  }

  /** The dump area is a folder (or can be made); every dump program exists and is executable. */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const out = [await creatableCheck('source-volume', 'source.volume', this.volume)];
    for (const [i, d] of this.cfg.dumps.entries()) out.push(await programCheck('dump-program', `source.dumps[${i}].argv[0] (${d.name})`, d.argv[0]!));
    if (o.live && (await pathExists(this.volume))) out.push(await spaceCheck('source-space', `source volume ${this.volume}`, () => this.freeBytes()));
    return out;
  }

  private done(dir: string): Promise<boolean> {
    return pathExists(join(dir, DONE_MARKER));
  }
}
