import { mkdir, readFile, readdir, stat, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { BACKUP_ID_RE, FfError, checkBackupId, checkEntry, createSerial, errorMessage, findBinary, writeFileAtomic, type Logger, type TargetConfig } from '@freezeframe/common';
import { firstLine, spaceCheck, type Check, type CheckOptions } from '../checks.js';
import {
  zfsClone,
  zfsCreate,
  zfsDestroy,
  zfsExists,
  zfsGet,
  zfsList,
  zfsListSnapshots,
  zfsMount,
  poolErrorsNone,
  poolOf,
  zpoolStatus,
  zfsReasonOf,
  zfsSet,
  zfsSnapshot,
  checkResumeTokenFor,
  zfsRecvAbort,
  zfsRecvArgs,
  zfsReplicaFeatures,
  zfsResumeToken,
  zfsResumeTokenInfo,
  zfsSendArgs,
  zfsSendCount,
  zfsSendEstimate,
  type ZfsSnapshotInfo,
} from '../../tools/zfs.js';
import { receiveInto, replicaToolCheck } from './replica-stream.js';
import { splitLinkGroups } from './link-groups.js';
import type { ActivateOptions, ReplicaCommand, ReplicaReceive, TargetBackup, TargetProvider } from './types.js';

type ZfsTargetConfig = Extract<TargetConfig, { kind: 'zfs' }>;

const PROP_BACKUP = 'freezeframe:backup';
const PROP_ENTRIES = 'freezeframe:entries';
const PROP_MANIFEST = 'freezeframe:manifest';
/** ZFS user property values are limited (zfs-fuse aborts somewhere past 4 KiB); larger data is read from the tree. */
const MAX_PROP_VALUE = 4000;
const META_DIR = '.freezeframe';
/** zfs-fuse has no lz4; lzjb keeps up with the transfer where gzip is CPU-bound (~65 MB/s). */
const COMPRESSION = 'lzjb';
/** Health is polled by monitoring and every preflight: `zpool status` must answer within this. */
const POOL_STATUS_TIMEOUT_MS = 10_000;
/**
 * A source's files must never act on the target: no setuid programs, no device nodes, nothing
 * runnable. Set on the dataset and on every clone (a clone inherits from its parent, not from
 * its origin). OpenZFS mounts with nosuid,nodev,noexec then; zfs-fuse records them only.
 */
export const HARDENING: Readonly<Record<string, string>> = { setuid: 'off', devices: 'off', exec: 'off' };


/**
 * A ZFS dataset whose mounted tree is the working copy every backup is received into (rsync
 * `--inplace`, so unchanged blocks stay shared); each backup is the snapshot `<dataset>@<id>`,
 * labelled with user properties and holding `.freezeframe/manifest.json`. Restores read a
 * read-only clone `<dataset>-restore-<id>`.
 */
export class ZfsTarget implements TargetProvider {
  readonly kind = 'zfs';
  readonly dataset: string;
  private readonly browse: string | undefined;
  /** target.replicaOf: receives streams from that target, takes no backups from sources. */
  readonly replicaOf: string | undefined;
  private ready: Promise<string> | undefined;
  /** One at a time: temporary clones have fixed names. */
  private readonly once = createSerial();

  constructor(
    cfg: ZfsTargetConfig,
    private readonly log: Logger,
  ) {
    if (!cfg.dataset.includes('/')) {
      // clones for restores and reads are siblings of the dataset; a pool root has none
      throw new FfError('CONFIG_INVALID', `target.dataset ${cfg.dataset} is a pool's root dataset`, {
        hint: `use a child dataset such as ${cfg.dataset}/current`,
        details: { field: 'target.dataset' },
      });
    }
    this.dataset = cfg.dataset;
    this.browse = cfg.browse;
    this.replicaOf = cfg.replicaOf;
  }

  /** Creates the dataset if missing, mounts it, returns its mountpoint. */
  private mountpoint(): Promise<string> {
    this.ready ??= this.setUp().catch((e: unknown) => {
      this.ready = undefined;
      throw e;
    });
    return this.ready;
  }

  private async setUp(): Promise<string> {
    const opts = { logger: this.log };
    if (!(await zfsExists(this.dataset, opts))) {
      await zfsCreate(this.dataset, { ...opts, parents: true, properties: { compression: COMPRESSION, atime: 'off', ...HARDENING } });
      this.log.info({ dataset: this.dataset, compression: COMPRESSION }, 'zfs target dataset created');
    } else {
      // the dataset holds only what freezeframe receives; an operator-made one gets the same guard
      const unsafe = await this.unsafeProperties();
      if (unsafe.length > 0) {
        const props = Object.fromEntries(unsafe.map((p) => [p.split('=')[0]!, 'off']));
        await zfsSet(this.dataset, props, opts).then(
          () => this.log.warn({ dataset: this.dataset, was: unsafe }, 'zfs target dataset: set setuid, devices and exec off'),
          (e: unknown) => this.log.warn({ dataset: this.dataset, was: unsafe, err: errorMessage(e) }, 'zfs target dataset: cannot set setuid, devices and exec off'),
        );
      }
    }
    const props = await zfsGet(this.dataset, ['mountpoint', 'mounted'], opts);
    if (!props.mountpoint?.startsWith('/')) {
      throw new FfError('FAILED_PRECONDITION', `target dataset ${this.dataset} has no mountpoint (${props.mountpoint ?? 'none'})`, {
        hint: `set one: zfs set mountpoint=/path ${this.dataset}`,
      });
    }
    if (props.mounted !== 'yes') await zfsMount(this.dataset, opts);
    return props.mountpoint;
  }

  /** The hardening properties that are not off on the dataset, as `name=value` (Health warns about them). */
  async unsafeProperties(): Promise<string[]> {
    const props = await zfsGet(this.dataset, Object.keys(HARDENING), { logger: this.log });
    return Object.keys(HARDENING).filter((k) => props[k] !== HARDENING[k]).map((k) => `${k}=${props[k] ?? '?'}`);
  }

  private snapshotOf(backupId: string): string {
    return `${this.dataset}@${checkBackupId(backupId)}`;
  }

  private restoreCloneOf(backupId: string): string {
    return `${this.dataset}-restore-${checkBackupId(backupId)}`;
  }

  /** Where `freezeframe mount` shows a backup: its own clone, which a restore's deactivate never destroys. */
  private browseCloneOf(backupId: string): string {
    return `${this.dataset}-browse-${checkBackupId(backupId)}`;
  }

  /** target.browse: one clone, mounted at that path; its name carries no id, so cleanup never takes it for a leftover. */
  private latestClone(): string {
    return `${this.dataset}-latest`;
  }

  /**
   * Replaces the clone at target.browse by one of `backupId`. Destroyed first: a mountpoint holds
   * one dataset, so the path is empty for the second the swap takes.
   */
  async showLatest(backupId: string): Promise<string | undefined> {
    if (!this.browse) return undefined;
    const snapshot = this.snapshotOf(backupId);
    const clone = this.latestClone();
    const opts = { logger: this.log };
    await this.once(async () => {
      await zfsDestroy(clone, { ...opts, ifExists: true });
      await zfsClone(snapshot, clone, { ...opts, properties: { readonly: 'on', ...HARDENING, mountpoint: this.browse!, [PROP_BACKUP]: backupId } });
    });
    this.log.info({ backup_id: backupId, clone, at: this.browse }, 'zfs target: newest backup shown at target.browse');
    return this.browse;
  }

  async prepareReceive(backupId: string, entry: string, o: { recheck?: boolean } = {}): Promise<{ path: string; rsyncOptions: string[] }> {
    const snapshot = this.snapshotOf(backupId);
    checkEntry(entry);
    const root = await this.mountpoint();
    if (await zfsExists(snapshot, { logger: this.log })) {
      throw new FfError('ALREADY_EXISTS', `backup ${backupId} is already tagged on ${this.dataset}; it cannot receive more data`);
    }
    const path = join(root, entry);
    await mkdir(path, { recursive: true });
    if (!o.recheck) {
      const split = await splitLinkGroups(path);
      if (split > 0) this.log.info({ backup_id: backupId, entry, split }, 'zfs target: hard links of the working tree split before receiving');
    }
    // in place: rsync's temp-file-and-rename would give every changed file all-new blocks
    return { path, rsyncOptions: ['--inplace'] };
  }

  async tag(backupId: string, manifestJson: string, entries: readonly string[]): Promise<{ snapshot: string }> {
    const snapshot = this.snapshotOf(backupId);
    entries.forEach((e) => checkEntry(e));
    const root = await this.mountpoint();
    if (await zfsExists(snapshot, { logger: this.log })) {
      throw new FfError('ALREADY_EXISTS', `backup ${backupId} is already tagged on ${this.dataset} (${snapshot})`);
    }
    const missing: string[] = [];
    for (const entry of entries) {
      const st = await stat(join(root, entry)).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return undefined;
        throw e;
      });
      if (!st?.isDirectory()) missing.push(entry);
    }
    if (missing.length > 0) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is incomplete: ${missing.join(', ')} not received into ${this.dataset}`, {
        details: { missing },
      });
    }
    const meta = join(root, META_DIR);
    await writeFileAtomic(join(meta, 'manifest.json'), manifestJson);
    await writeFileAtomic(join(meta, 'backup.json'), `${JSON.stringify({ backupId, entries })}\n`);
    // the snapshot carries its own labels, so list() needs no clone for ordinary manifests
    const properties: Record<string, string> = { [PROP_BACKUP]: backupId };
    const entriesJson = JSON.stringify(entries);
    if (entriesJson.length <= MAX_PROP_VALUE) properties[PROP_ENTRIES] = entriesJson;
    const manifest64 = Buffer.from(manifestJson, 'utf8').toString('base64');
    if (manifest64.length <= MAX_PROP_VALUE) properties[PROP_MANIFEST] = manifest64;
    await zfsSnapshot(snapshot, { logger: this.log, properties });
    this.log.info({ backupId, snapshot, entries: entries.length }, 'zfs backup tagged');
    return { snapshot };
  }

  async list(): Promise<TargetBackup[]> {
    await this.mountpoint();
    const snaps = await zfsListSnapshots(this.dataset, [PROP_BACKUP, PROP_ENTRIES, PROP_MANIFEST], { logger: this.log });
    const out: TargetBackup[] = [];
    for (const s of snaps.filter((s) => BACKUP_ID_RE.test(s.snap))) out.push(await this.describe(s));
    return out;
  }

  private async describe(s: ZfsSnapshotInfo): Promise<TargetBackup> {
    const entriesProp = s.props[PROP_ENTRIES];
    const manifestProp = s.props[PROP_MANIFEST];
    let entries = entriesProp && entriesProp !== '-' ? (JSON.parse(entriesProp) as string[]) : undefined;
    let manifestJson = manifestProp && manifestProp !== '-' ? Buffer.from(manifestProp, 'base64').toString('utf8') : undefined;
    if (entries === undefined || manifestJson === undefined) {
      const fromTree = await this.readFromSnapshot(s.snap);
      entries ??= fromTree.entries;
      manifestJson ??= fromTree.manifestJson;
    }
    return { backupId: s.snap, createdUnixMs: s.createdUnixMs, usedBytes: s.usedBytes, entries, manifestJson };
  }

  /** Reads the metadata files of a snapshot through a temporary read-only clone. */
  private readFromSnapshot(backupId: string): Promise<{ entries: string[]; manifestJson: string }> {
    return this.once(async () => {
      const clone = `${this.dataset}-read-${backupId}`;
      const opts = { logger: this.log };
      await zfsDestroy(clone, { ...opts, ifExists: true }); // a leftover of a crash
      await zfsClone(this.snapshotOf(backupId), clone, { ...opts, properties: { readonly: 'on', ...HARDENING } });
      try {
        const { mountpoint } = await zfsGet(clone, ['mountpoint'], opts);
        return await readTree(mountpoint ?? '');
      } finally {
        await zfsDestroy(clone, { ...opts, ifExists: true });
      }
    });
  }

  async activate(backupId: string, o: ActivateOptions = {}): Promise<{ root: string; entries: string[] }> {
    const snapshot = this.snapshotOf(backupId);
    const clone = o.browse ? this.browseCloneOf(backupId) : this.restoreCloneOf(backupId);
    const opts = { logger: this.log };
    const [info] = (await zfsListSnapshots(this.dataset, [PROP_BACKUP, PROP_ENTRIES, PROP_MANIFEST], opts)).filter(
      (s) => s.name === snapshot,
    );
    if (!info) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist on ${this.dataset}`);
    if (await zfsExists(clone, opts)) {
      const { origin } = await zfsGet(clone, ['origin'], opts);
      if (origin !== snapshot) {
        throw new FfError('FAILED_PRECONDITION', `${clone} exists but is not a clone of ${snapshot} (origin ${origin})`);
      }
      await zfsMount(clone, opts);
    } else {
      await zfsClone(snapshot, clone, { ...opts, properties: { readonly: 'on', ...HARDENING, [PROP_BACKUP]: backupId } });
      this.log.info({ backupId, clone }, 'zfs backup activated');
    }
    const { mountpoint } = await zfsGet(clone, ['mountpoint'], opts);
    if (!mountpoint?.startsWith('/')) throw new FfError('TARGET_FAILED', `clone ${clone} has no mountpoint (${mountpoint})`);
    const entriesProp = info.props[PROP_ENTRIES];
    const entries = entriesProp && entriesProp !== '-' ? (JSON.parse(entriesProp) as string[]) : (await readTree(mountpoint)).entries;
    return { root: mountpoint, entries };
  }

  async deactivate(backupId: string, o: ActivateOptions = {}): Promise<boolean> {
    const clone = o.browse ? this.browseCloneOf(backupId) : this.restoreCloneOf(backupId);
    const gone = await zfsDestroy(clone, { logger: this.log, ifExists: true });
    if (gone) this.log.info({ backupId, clone }, 'zfs backup deactivated');
    return gone;
  }

  async destroy(backupId: string): Promise<boolean> {
    const snapshot = this.snapshotOf(backupId);
    const opts = { logger: this.log };
    if (!(await zfsExists(snapshot, opts))) return false;
    const clone = this.restoreCloneOf(backupId);
    if (await zfsExists(clone, opts)) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is activated (clone ${clone}); it cannot be deleted`, {
        hint: 'finish the restore, or run `freezeframe cleanup` if it was interrupted',
        details: { clone },
      });
    }
    const browse = this.browseCloneOf(backupId);
    if (await zfsExists(browse, opts)) {
      throw new FfError('FAILED_PRECONDITION', `backup ${backupId} is mounted for browsing (clone ${browse}); it cannot be deleted`, {
        hint: `freezeframe umount ${backupId}`,
        details: { clone: browse },
      });
    }
    try {
      await this.once(() => zfsDestroy(snapshot, opts));
    } catch (e) {
      if (zfsReasonOf(e) === 'does-not-exist') return false;
      if (zfsReasonOf(e) === 'has-dependent-clones') {
        throw new FfError('FAILED_PRECONDITION', `backup ${backupId} cannot be deleted: a clone depends on ${snapshot}`, {
          cause: e,
          hint: `list them with: zfs list -o name,origin | grep ${snapshot}`,
        });
      }
      throw e;
    }
    this.log.info({ backupId, snapshot }, 'zfs backup deleted');
    return true;
  }

  /** target.browse shows the newest backup (a warning: backups work either way). */
  private async browseCheck(): Promise<Check> {
    const check = (ok: boolean, detail: string): Check => ({ name: 'target-browse', ok, warnOnly: true, detail });
    try {
      const newest = (await zfsListSnapshots(this.dataset, [], { logger: this.log })).filter((s) => BACKUP_ID_RE.test(s.snap)).pop();
      if (!(await zfsExists(this.latestClone(), { logger: this.log }))) {
        return check(newest === undefined, newest === undefined ? `target.browse: ${this.browse} appears with the first backup` : `target.browse: no clone ${this.latestClone()} (refreshed by the next backup)`);
      }
      const { origin, mountpoint } = await zfsGet(this.latestClone(), ['origin', 'mountpoint'], { logger: this.log });
      if (mountpoint !== this.browse) return check(false, `target.browse: ${this.latestClone()} is mounted at ${mountpoint}, not ${this.browse}`);
      return origin === newest?.name ? check(true, `target.browse: ${this.browse} shows ${origin}`) : check(false, `target.browse: ${this.browse} shows ${origin}, not the newest backup ${newest?.name ?? '(none)'} (refreshed by the next backup)`);
    } catch (e) {
      return check(false, `target.browse: ${firstLine(errorMessage(e))}`);
    }
  }

  async replicaSendCommand(backupId: string, baseId: string | undefined, resumeToken?: string): Promise<ReplicaCommand> {
    const snapshot = this.snapshotOf(backupId);
    const opts = { logger: this.log };
    if (!(await zfsExists(snapshot, opts))) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist on ${this.dataset}`, { details: { field: 'backup_id' } });
    const bin = findBinary('zfs');
    if (resumeToken) {
      if (!(await zfsReplicaFeatures(opts)).sendResume) {
        throw new FfError('FAILED_PRECONDITION', `this zfs cannot resume a stream (no zfs send -t)`, { hint: 'send again without resume_token', details: { field: 'resume_token' } });
      }
      checkResumeTokenFor(await zfsResumeTokenInfo(resumeToken, opts), snapshot);
      return { bin, args: zfsSendArgs({ snapshot, token: resumeToken }) };
    }
    if (baseId === undefined) return { bin, args: zfsSendArgs({ snapshot }) };
    const base = this.snapshotOf(baseId);
    if (!(await zfsExists(base, opts))) throw new FfError('NOT_FOUND', `base_id: backup ${baseId} does not exist on ${this.dataset}`, { details: { field: 'base_id' } });
    return { bin, args: zfsSendArgs({ snapshot, base }) };
  }

  /** `zfs send -nP` where the zfs has it; else an incremental stream counted, or the snapshot's `referenced` for a full one. */
  async replicaSize(backupId: string, baseId: string | undefined): Promise<{ bytes: number; how: string }> {
    const opts = { logger: this.log };
    const snapshot = this.snapshotOf(backupId);
    const base = baseId === undefined ? undefined : this.snapshotOf(baseId);
    const o = base === undefined ? { snapshot } : { snapshot, base };
    if ((await zfsReplicaFeatures(opts)).sendEstimate) return { bytes: await zfsSendEstimate(o, opts), how: 'zfs send -nP' };
    if (base !== undefined) return { bytes: await zfsSendCount(o, opts), how: 'zfs send -i, counted' };
    const [info] = (await zfsListSnapshots(this.dataset, [], opts)).filter((s) => s.name === snapshot);
    if (!info) throw new FfError('NOT_FOUND', `backup ${backupId} does not exist on ${this.dataset}`, { details: { field: 'backup_id' } });
    return { bytes: info.referencedBytes, how: 'referenced' };
  }

  async replicaResumable(): Promise<boolean> {
    return (await zfsReplicaFeatures({ logger: this.log })).recvResumable;
  }

  async replicaResumeToken(): Promise<string> {
    const opts = { logger: this.log };
    if (!(await zfsReplicaFeatures(opts)).recvResumable || !(await zfsExists(this.dataset, opts))) return '';
    return zfsResumeToken(this.dataset, opts);
  }

  /**
   * `zfs receive` into exactly `<dataset>@<backupId>`, unmounted where `-u` exists. A cut stream
   * leaves no snapshot (with `-s`, a resume token), but a receive can fail after making it
   * (zfs-fuse mounts afterwards and exits 1 when the mount fails): on any failure the snapshot
   * is destroyed if it exists. A full stream only into a
   * dataset without snapshots (`-F` only when it exists empty); an incremental only onto its base
   * as the newest snapshot. Afterwards the dataset is read-only with the hardening properties, its
   * mountpoint unchanged, and the snapshot labelled from its own tree.
   */
  async replicaReceive(o: ReplicaReceive): Promise<void> {
    const snapshot = this.snapshotOf(o.backupId);
    const opts = { logger: o.log };
    const f = await zfsReplicaFeatures(opts);
    const exists = await zfsExists(this.dataset, opts);
    if (exists && f.recvResumable && !o.resume && (await zfsResumeToken(this.dataset, opts))) {
      o.log.warn({ dataset: this.dataset }, 'zfs replica: discarding the partial state of a cut stream (the sender starts over)');
      await zfsRecvAbort(this.dataset, opts);
    }
    const snaps = exists ? await zfsListSnapshots(this.dataset, [], opts) : [];
    if (snaps.some((s) => s.name === snapshot)) throw new FfError('ALREADY_EXISTS', `backup ${o.backupId} is already held on ${this.dataset}`, { details: { field: 'backup' } });
    let force = false;
    const parent = this.dataset.slice(0, this.dataset.lastIndexOf('/'));
    if (o.baseId === undefined) {
      if (snaps.length > 0) {
        throw new FfError('FAILED_PRECONDITION', `a full stream of ${o.backupId} is refused: ${this.dataset} already holds ${snaps.length} snapshots (newest ${snaps.at(-1)!.snap}); its history is not overwritten`, { details: { field: 'base' } });
      }
      if (exists) {
        // the only -F: a dataset without any snapshot (the agent's own set-up made it) has no history to lose
        force = true;
        o.log.warn({ dataset: this.dataset }, 'zfs replica: first full stream into the existing empty dataset, receiving with -F (it holds no snapshot)');
      } else if (!(await zfsExists(parent, opts))) {
        await zfsCreate(parent, { ...opts, parents: true });
      }
    } else {
      const newest = snaps.at(-1)?.snap;
      if (newest !== o.baseId) {
        throw new FfError('FAILED_PRECONDITION', `a stream incremental from ${o.baseId} is refused: the newest snapshot of ${this.dataset} is ${newest ?? '(none)'}`, { details: { field: 'base' } });
      }
    }
    const mountpoint = exists
      ? (await zfsGet(this.dataset, ['mountpoint'], opts)).mountpoint
      : `${(await zfsGet(parent, ['mountpoint'], opts)).mountpoint}/${this.dataset.slice(parent.length + 1)}`;
    try {
      await receiveInto({ bin: findBinary('zfs'), args: zfsRecvArgs({ snapshot, force, noMount: f.recvNoMount, resumable: f.recvResumable }) }, o);
      if (!(await zfsExists(snapshot, opts))) throw new FfError('TRANSFER_FAILED', `zfs receive ended, but ${snapshot} does not exist`);
      await this.keepReceived(o.backupId, snapshot, mountpoint, o.log);
    } catch (e) {
      // list() counts every snapshot named like a backup: one left here would be a held backup never checked by keepReceived
      await zfsDestroy(snapshot, { ...opts, ifExists: true }).catch((d: unknown) => o.log.error({ snapshot, err: errorMessage(d) }, 'zfs replica: cannot destroy the snapshot of a failed or refused receive'));
      throw e;
    }
    o.log.info({ snapshot, forced: force }, 'zfs replica: backup received');
  }

  /** Checks a received snapshot, locks the dataset down and labels the snapshot for list(). */
  private async keepReceived(backupId: string, snapshot: string, mountpoint: string | undefined, log: Logger): Promise<void> {
    const opts = { logger: log };
    const [info] = (await zfsListSnapshots(this.dataset, [PROP_BACKUP], opts)).filter((s) => s.name === snapshot);
    const label = info?.props[PROP_BACKUP];
    if (label !== undefined && label !== '-' && label !== backupId) {
      throw new FfError('PERMISSION_DENIED', `the stream labels its snapshot backup ${JSON.stringify(label.slice(0, 80))}, not ${backupId}`, { details: { field: 'backup' } });
    }
    const now = (await zfsGet(this.dataset, ['mountpoint'], opts)).mountpoint;
    if (mountpoint !== undefined && now !== mountpoint) {
      await zfsSet(this.dataset, { mountpoint }, opts);
      throw new FfError('PERMISSION_DENIED', `the stream set the mountpoint of ${this.dataset} to ${JSON.stringify(now)}; reset to ${mountpoint}`, { details: { field: 'mountpoint' } });
    }
    await zfsSet(this.dataset, { readonly: 'on', ...HARDENING }, opts);
    const tree = await this.readFromSnapshot(backupId);
    const props: Record<string, string> = { [PROP_BACKUP]: backupId };
    const entriesJson = JSON.stringify(tree.entries);
    if (entriesJson.length <= MAX_PROP_VALUE) props[PROP_ENTRIES] = entriesJson;
    const manifest64 = Buffer.from(tree.manifestJson, 'utf8').toString('base64');
    if (manifest64.length <= MAX_PROP_VALUE) props[PROP_MANIFEST] = manifest64;
    await zfsSet(snapshot, props, opts);
  }

  storageRoot(): Promise<string> {
    return this.mountpoint();
  }

  async receivedRoot(): Promise<string> {
    return this.mountpoint();
  }

  async cleanup(keep: ReadonlySet<string>, dryRun: boolean): Promise<string[]> {
    const opts = { logger: this.log };
    const parent = this.dataset.slice(0, this.dataset.lastIndexOf('/'));
    const rows = await zfsList(parent, ['type'], { ...opts, recursive: true });
    const removed: string[] = [];
    for (const [name, props] of rows) {
      if (props.type !== 'filesystem') continue;
      const m = /^-(restore|read)-(.+)$/.exec(name.startsWith(this.dataset) ? name.slice(this.dataset.length) : '');
      if (!m || !BACKUP_ID_RE.test(m[2]!) || keep.has(m[2]!)) continue;
      if (!dryRun) await zfsDestroy(name, { ...opts, ifExists: true });
      removed.push(`clone ${name}`);
    }
    return removed;
  }

  async freeBytes(): Promise<number> {
    // statfs of the mounted dataset reports its `available` without starting `zfs get` on every Health/Describe
    const s = await statfs(await this.mountpoint());
    return s.bavail * s.bsize;
  }

  /**
   * The dataset exists (or its pool does: the agent creates it); its setuid, devices and exec are
   * off (a warning); live: the pool is ONLINE without errors, and free space.
   */
  async checks(o: CheckOptions = {}): Promise<Check[]> {
    const pool = poolOf(this.dataset);
    const out: Check[] = this.replicaOf ? [replicaToolCheck('zfs', this.replicaOf)] : [];
    let exists: boolean;
    try {
      exists = await zfsExists(this.dataset, { logger: this.log });
      if (exists) out.push({ name: 'target-dataset', ok: true, detail: `target.dataset: ${this.dataset} exists` });
      else if (await zfsExists(pool, { logger: this.log })) out.push({ name: 'target-dataset', ok: true, detail: `target.dataset: ${this.dataset} will be created in pool ${pool}` });
      else return [{ name: 'target-dataset', ok: false, detail: `target.dataset: ${this.dataset}: pool ${pool} does not exist (zpool import ${pool}?)` }];
    } catch (e) {
      return [{ name: 'target-dataset', ok: false, detail: `target.dataset: cannot read ${this.dataset}: ${firstLine(errorMessage(e))}` }];
    }
    if (o.live) {
      // first: reading the space sets the dataset up (creates, hardens, mounts it) as every use does
      try {
        const st = await zpoolStatus(pool, { logger: this.log, timeoutMs: POOL_STATUS_TIMEOUT_MS });
        const clean = st.state === 'ONLINE' && poolErrorsNone(st.errors);
        out.push({ name: 'pool', ok: clean, detail: clean ? `pool ${pool} ONLINE, ${st.errors || 'no errors line'}` : `pool ${pool} is ${st.state || 'in an unknown state'}; errors: ${st.errors || '-'}` });
      } catch (e) {
        out.push({ name: 'pool', ok: false, detail: `zpool status ${pool}: ${firstLine(errorMessage(e))}` });
      }
      out.push(await spaceCheck('target-space', 'target', () => this.freeBytes()));
    }
    if (this.browse && o.live) out.push(await this.browseCheck());
    // after the set-up of a live check, a dataset the agent created is there too
    if (exists || o.live) {
      try {
        const unsafe = await this.unsafeProperties();
        out.push({
          name: 'target-properties',
          ok: unsafe.length === 0,
          warnOnly: true,
          detail: unsafe.length === 0
            ? `target dataset ${this.dataset} has setuid, devices and exec off`
            : `target dataset ${this.dataset} has ${unsafe.join(', ')}: a source could place setuid programs or device nodes there (zfs set setuid=off devices=off exec=off ${this.dataset})`,
        });
      } catch (e) {
        out.push({ name: 'target-properties', ok: false, warnOnly: true, detail: `zfs get of ${this.dataset}: ${firstLine(errorMessage(e))}` });
      }
    }
    return out;
  }
}

/** Entries and manifest as stored in a backup's tree; entries fall back to the folders present. */
async function readTree(root: string): Promise<{ entries: string[]; manifestJson: string }> {
  const read = (name: string) =>
    readFile(join(root, META_DIR, name), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
  const [manifestJson, backupJson] = await Promise.all([read('manifest.json'), read('backup.json')]);
  let entries: string[] | undefined;
  if (backupJson !== undefined) entries = (JSON.parse(backupJson) as { entries?: string[] }).entries;
  if (entries === undefined) {
    const dirents = await readdir(root, { withFileTypes: true });
    entries = dirents.filter((d) => d.isDirectory() && d.name.includes('@+')).map((d) => d.name).sort();
  }
  return { entries, manifestJson: manifestJson ?? '' };
}
