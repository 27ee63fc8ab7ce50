import pLimit from 'p-limit';
import { FfError, checkBackupId, checkSourceSelector, type Inventory } from '@freezeframe/common';
import { findTarget, withDeployment } from './core/deployment.js';
import { manifestSources } from './core/manifest.js';
import { withOptionalRemote } from './core/remotes.js';
import { asFfError } from './core/phases.js';
import { resolveBackup } from './core/resolve-backup.js';
import { RECENT_SECONDS, activityWarning } from './core/volume-activity.js';
import { backupSources, checkScopeOptions, crossDeployment, needFeatures, resolveMap } from './restore-scope.js';
import type { BackupListing, NodeDescription } from './core/types.js';

// What `restore` would overwrite, asked of the agents without changing anything: shown by
// `restore --dry-run`, and on a terminal before `restore` asks for confirmation.

export interface PlannedSource {
  /** The source as records name it: `<node>` or `<node>:<volume name>`. */
  source: string;
  node: string;
  /** The live volume the restore writes into. */
  volume: string;
  kind: string;
  entry: string;
  /** What the backup holds for it (from its manifest); absent when the manifest does not say. */
  bytes?: number;
  files?: number;
  /** The backup has no data for it: the restore would refuse. */
  missing: boolean;
  /** Something writes to the live volume now (VolumeActivity): what, said as a warning. */
  writing?: string;
  /** `--map`: the backup's source it gets (as the deployment that took it named it); `entry` is that source's. */
  from?: string;
  /** `--to-dir`: the folder it would be restored into, `<dir>/<restore id>/<entry>`; its live volume is not touched. */
  into?: string;
}

export interface RestorePlan {
  deployment: string;
  backupId: string;
  /** When the backup was taken (from the target). */
  createdMs: number;
  target: string;
  sources: PlannedSource[];
  /** Sources of the inventory the selection leaves alone. */
  untouched: string[];
  /** Nodes that did not answer (their sources are not in the plan). */
  unreachable: string[];
  /** `--path`: only these subtrees of the one source; every other file stays as it is. */
  paths?: string[];
  /** `--to-dir`: restored into folders there, nothing live is written. */
  toDir?: string;
  /** The deployment that took the backup, when it is not this inventory's (`--from-deployment`). */
  fromDeployment?: string;
}

/** What `into` says of the restore's run id, which the run chooses when it starts. */
export const RESTORE_ID_PLACEHOLDER = '<restore id>';

/** The per-source sizes a backup's manifest records, by entry. */
function manifestSizes(b: BackupListing): Map<string, { bytes: number; files: number }> {
  return new Map(manifestSources(b).flatMap((s) => (s.bytes !== undefined && s.files !== undefined ? [[s.entry, { bytes: s.bytes, files: s.files }] as const] : [])));
}

/** Every source volume of the answering nodes, named as the restore names them. */
function volumesOf(descs: ReadonlyArray<{ node: string; desc: NodeDescription }>): Array<Omit<PlannedSource, 'bytes' | 'files' | 'missing'>> {
  return descs.flatMap(({ node, desc }) =>
    desc.roles.includes('source')
      ? (desc.sources ?? (desc.source ? [desc.source] : [])).map((v) => ({ source: v.name ? `${node}:${v.name}` : node, node, volume: v.volume, kind: v.kind, entry: v.entry }))
      : [],
  );
}

export interface RestorePlanOptions {
  backup: string;
  only?: string[];
  paths?: string[];
  toDir?: string;
  map?: string[];
  fromDeployment?: string;
  /** `--from`: the remote target (one of replicate.to) the backup is read from. */
  from?: string;
}

/**
 * `restore <id> --dry-run`: the backup `id` names, the sources `only` selects (a node, or
 * `<node>:<volume>`; all without it) and what each would get back, narrowed or redirected by
 * `paths`, `toDir`, `map` and `fromDeployment` as the restore would be (and refused as it would
 * be). Reads only: no lock, no record, nothing stopped or written.
 */
export async function restorePlan(inv: Inventory, opts: RestorePlanOptions): Promise<RestorePlan> {
  if (opts.backup !== 'latest') checkBackupId(opts.backup, 'backup id');
  for (const n of opts.only ?? []) checkSourceSelector(n, '--only');
  const scope = checkScopeOptions(opts);
  return withOptionalRemote(inv, opts.from, '--from', (remote) => withDeployment(inv, async ({ nodes }) => {
    const target = remote ?? (await findTarget(nodes)).target;
    const chosen = resolveBackup(await target.node.listBackups(), opts.backup, target.node.name);
    if (!chosen.complete) throw new FfError('FAILED_PRECONDITION', `backup ${chosen.id} is incomplete and cannot be restored`, { node: target.node.name });
    const fromDeployment = crossDeployment(chosen, inv.deployment, scope.fromDeployment);
    const limit = pLimit(16);
    const settled = await Promise.allSettled(nodes.map((n) => limit(async () => ({ node: n.name, desc: await n.describe() }))));
    const up = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const unreachable = settled.flatMap((s, i) => (s.status === 'rejected' ? [asFfError(s.reason, nodes[i]!.name).message] : []));
    const all = volumesOf(up);
    const only = opts.only ?? [];
    const picked = only.length === 0 ? all : all.filter((v) => only.some((n) => v.source === n || (!n.includes(':') && v.node === n)));
    const unknown = only.filter((n) => !all.some((v) => v.source === n || (!n.includes(':') && v.node === n)));
    if (unknown.length > 0) {
      throw new FfError('INVALID_ARGUMENT', `--only names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a source' : 'are not sources'} of the nodes that answer`, {
        hint: `sources: ${all.map((v) => v.source).join(', ')}`,
      });
    }
    if (scope.paths && picked.length !== 1) {
      throw new FfError('INVALID_ARGUMENT', `--path needs --only naming exactly one source; ${only.join(', ')} names ${picked.length}: ${picked.map((v) => v.source).join(', ')}`, { details: { field: '--path' } });
    }
    const mapped = scope.map ? resolveMap(scope.map, backupSources(chosen), all.map((v) => ({ id: v.source, node: v.node, entry: v.entry })), chosen.id) : new Map<string, { name: string; entry: string }>();
    const left = [...mapped.keys()].filter((id) => !picked.some((v) => v.source === id));
    if (left.length > 0) throw new FfError('INVALID_ARGUMENT', `--map names ${left.join(', ')}, which the restore leaves out (--only)`, { details: { field: '--map' } });
    needFeatures(scope, target, up.filter((u) => picked.some((v) => v.node === u.node)).map((u) => ({ name: u.node, desc: u.desc })));
    const sizes = manifestSizes(chosen);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    // --to-dir leaves the live volumes alone: who writes to them does not matter then
    const writing = scope.toDir ? [] : await Promise.all(
      picked.map((v) =>
        limit(() =>
          byName
            .get(v.node)!
            .volumeActivity(v.entry, RECENT_SECONDS)
            .then((a) => activityWarning(v.source, a), (e: unknown) => `${v.source}: could not see who writes to ${v.volume}: ${asFfError(e, v.node).message}`),
        ),
      ),
    );
    return {
      deployment: inv.deployment,
      backupId: chosen.id,
      createdMs: chosen.createdMs,
      target: target.node.name,
      sources: picked.map((v, i) => {
        const m = mapped.get(v.source);
        const entry = m?.entry ?? v.entry;
        return {
          ...v,
          entry,
          ...sizes.get(entry),
          missing: chosen.entries.length > 0 && !chosen.entries.includes(entry),
          ...(m ? { from: m.name } : {}),
          ...(writing[i] ? { writing: writing[i] } : {}),
          ...(scope.toDir ? { into: `${scope.toDir}/${RESTORE_ID_PLACEHOLDER}/${entry}` } : {}),
        };
      }),
      untouched: all.filter((v) => !picked.includes(v)).map((v) => v.source),
      unreachable,
      ...(scope.paths ? { paths: scope.paths } : {}),
      ...(scope.toDir ? { toDir: scope.toDir } : {}),
      ...(fromDeployment ? { fromDeployment } : {}),
    };
  }));
}
