import { FfError, checkName, checkRestorePaths, checkSourceSelector, nodeOf } from '@freezeframe/common';
import { manifestDeployment, manifestSources } from './core/manifest.js';
import { asFfError } from './core/phases.js';
import type { BackupListing, NodeDescription } from './core/types.js';

// What narrows or redirects a restore, checked on the director before anything moves and shared
// by `restore` and its plan (`--dry-run`, the terminal question): `--path` (subtrees of one
// source), `--to-dir` (a folder on the node instead of the live volume), `--map` (backup sources
// onto sources of another name) and `--from-deployment` (a backup another deployment took).

export type { RestoreScope } from './core/records.js';

/** The scope options of a restore, checked (see checkScopeOptions). */
export interface ScopeOptions {
  paths?: string[];
  toDir?: string;
  map?: MapPair[];
  fromDeployment?: string;
}

/**
 * --path, --to-dir, --map and --from-deployment, each checked and against the other options of
 * the restore, before any connection or record; every refusal names its option.
 */
export function checkScopeOptions(o: { only?: string[]; paths?: string[]; toDir?: string; map?: string[]; fromDeployment?: string; keyspaces?: string[]; stagingOnly?: boolean; stopServices?: boolean }): ScopeOptions {
  const out: ScopeOptions = {};
  const refuse = (field: string, message: string, hint?: string) => new FfError('INVALID_ARGUMENT', message, { ...(hint ? { hint } : {}), details: { field } });
  if (o.paths !== undefined) {
    out.paths = checkPaths(o.paths);
    if (o.only?.length !== 1) throw refuse('--path', `--path needs --only naming exactly one source${o.only?.length ? ` (it names ${o.only.join(', ')})` : ''}`, 'restore subtrees of one source at a time: --only <node> or --only <node>:<volume>');
    if (o.keyspaces || o.stagingOnly) throw refuse('--path', `--path and ${o.keyspaces ? '--keyspace' : '--staging-only'} exclude each other`);
  }
  if (o.toDir !== undefined) {
    out.toDir = checkToDir(o.toDir);
    if (o.keyspaces || o.stagingOnly) throw refuse('--to-dir', `--to-dir and ${o.keyspaces ? '--keyspace' : '--staging-only'} exclude each other: a restore into a folder puts nothing in place`);
    if (o.stopServices) throw refuse('--to-dir', '--to-dir and --stop-services exclude each other: a restore into a folder writes no live data, so no service needs to stop');
  }
  if (o.map !== undefined) out.map = parseMap(o.map);
  if (o.fromDeployment !== undefined) out.fromDeployment = checkFromDeployment(o.fromDeployment);
  return out;
}

/**
 * An agent that does not know a scope option would ignore its request field: a target without
 * "restore-paths" would send the whole source, a node without "restore-to-dir" would receive into
 * its live volume. Refused (naming the option) before anything moves.
 */
export function needFeatures(scope: Pick<ScopeOptions, 'paths' | 'toDir'>, target: { name: string; desc: NodeDescription }, receivers: ReadonlyArray<{ name: string; desc: NodeDescription }>): void {
  const lacks = (n: { desc: NodeDescription }, f: string) => !(n.desc.features ?? []).includes(f);
  const refuse = (field: string, who: ReadonlyArray<{ name: string; desc: NodeDescription }>, would: string) =>
    new FfError('FAILED_PRECONDITION', `${field}: the agent of ${who.map((n) => `${n.name} (version ${n.desc.version})`).join(', ')} does not know it and would ${would}; nothing was restored`, {
      hint: `upgrade freezeframe-agent on ${who.map((n) => n.name).join(', ')}`,
      details: { field },
    });
  if (scope.paths && lacks(target, 'restore-paths')) throw refuse('--path', [target], 'send the whole source');
  const old = [...new Map(receivers.map((r) => [r.name, r])).values()].filter((r) => lacks(r, 'restore-to-dir'));
  if (scope.toDir && old.length > 0) throw refuse('--to-dir', old, 'restore into the live volume');
}

/** One `--map from=to` pair: a source of the backup onto a source of this inventory. */
export interface MapPair {
  from: string;
  to: string;
}

/** A source as the backup's manifest records it. */
export interface BackupSource {
  /** `<node>` or `<node>:<volume name>`, as the deployment that took it named it. */
  name: string;
  node: string;
  entry: string;
  /** Its size by the manifest (rsync's total file size when the backup was taken); absent in a manifest without it. */
  bytes?: number;
}

/** A source of this inventory, as the restore selects them. */
export interface LiveSource {
  id: string;
  node: string;
  entry: string;
}

/** `--map a=b[,...]`: each pair once, both sides source names; every refusal names `--map`. */
export function parseMap(list: readonly string[]): MapPair[] {
  const field = '--map';
  const out: MapPair[] = [];
  for (const item of list) {
    const parts = item.split('=');
    if (parts.length !== 2) {
      throw new FfError('INVALID_ARGUMENT', `${field} ${JSON.stringify(item.slice(0, 60))} is not <backup source>=<source> (e.g. prod-db-1=staging-db-1)`, { details: { field } });
    }
    const from = checkSourceSelector(parts[0], field);
    const to = checkSourceSelector(parts[1], field);
    if (out.some((p) => p.to === to)) throw new FfError('INVALID_ARGUMENT', `${field} maps two backup sources onto ${to}`, { details: { field } });
    if (out.some((p) => p.from === from)) throw new FfError('INVALID_ARGUMENT', `${field} names ${from} twice`, { details: { field } });
    out.push({ from, to });
  }
  if (out.length === 0) throw new FfError('INVALID_ARGUMENT', `${field} names no pair`, { details: { field } });
  return out;
}

/** `--to-dir DIR`: an absolute path without `.`, `..` or control characters (the node's agent decides whether it may write there). */
export function checkToDir(dir: string): string {
  const field = '--to-dir';
  const shown = JSON.stringify(dir.slice(0, 100));
  const hint = "name a folder inside one of the node's restoreDirs (its agent config), e.g. /srv/freezeframe-restore";
  if (!dir.startsWith('/')) throw new FfError('INVALID_ARGUMENT', `${field} ${shown} is not an absolute path`, { hint, details: { field } });
  if (/[\x00-\x1f\x7f]/.test(dir) || dir.length > 4096) throw new FfError('INVALID_ARGUMENT', `${field} ${shown} holds a control character or is too long`, { hint, details: { field } });
  const parts = dir.split('/').filter((c) => c !== '');
  if (parts.some((c) => c === '.' || c === '..')) throw new FfError('INVALID_ARGUMENT', `${field} ${shown} names '..' or '.': name the folder by its plain path`, { hint, details: { field } });
  if (parts.length === 0) throw new FfError('INVALID_ARGUMENT', `${field} ${shown} is the root folder`, { hint, details: { field } });
  return `/${parts.join('/')}`;
}

/** `--path`: relative subtrees of one source (see checkRestorePaths), named `--path` in refusals. */
export function checkPaths(paths: readonly string[]): string[] {
  return checkRestorePaths(paths, '--path');
}

/** `--from-deployment NAME`: a deployment name as inventories write it. */
export function checkFromDeployment(name: string): string {
  return checkName(name, '--from-deployment');
}

/**
 * Refuses a backup another deployment took unless `fromDeployment` names that deployment, and a
 * `fromDeployment` that names another one than the backup's. Returns the backup's deployment
 * when it is not `deployment` (the restore crosses deployments).
 */
export function crossDeployment(b: BackupListing, deployment: string, fromDeployment: string | undefined): string | undefined {
  const field = '--from-deployment';
  const taken = manifestDeployment(b);
  if (taken === undefined || taken === deployment) {
    if (fromDeployment !== undefined && fromDeployment !== deployment && taken !== undefined) {
      throw new FfError('FAILED_PRECONDITION', `${field} ${fromDeployment}: backup ${b.id} was taken by this deployment (${deployment}), not by ${fromDeployment}; nothing was restored`, {
        hint: `drop ${field}, or name the backup ${fromDeployment} took (freezeframe list)`,
        details: { field, backupDeployment: taken },
      });
    }
    return undefined;
  }
  if (fromDeployment === taken) return taken;
  throw new FfError(
    'FAILED_PRECONDITION',
    fromDeployment === undefined
      ? `backup ${b.id} was taken by deployment ${taken}, not by ${deployment} (this inventory); nothing was restored`
      : `${field} ${fromDeployment}: backup ${b.id} was taken by deployment ${taken}; nothing was restored`,
    {
      hint: `to restore ${taken}'s backup into ${deployment}, pass ${field} ${taken} (and --map <${taken} source>=<source> where names differ); check that this is the inventory you meant`,
      details: { field, backupDeployment: taken },
    },
  );
}

/** The backup's sources: from its manifest, else one per entry named after its node (`<node>@+...`). */
export function backupSources(b: BackupListing): BackupSource[] {
  const listed = manifestSources(b).flatMap((s) =>
    s.name === undefined ? [] : [{ name: s.name, node: s.node ?? nodeOf(s.name), entry: s.entry, ...(s.bytes ? { bytes: s.bytes } : {}) }],
  );
  if (listed.length > 0) return listed;
  const nodes = b.entries.map((e) => e.slice(0, Math.max(0, e.indexOf('@+'))));
  return b.entries.flatMap((entry, i) => (nodes[i] && nodes.filter((n) => n === nodes[i]).length === 1 ? [{ name: nodes[i]!, node: nodes[i]!, entry }] : []));
}

const volumeOf = (name: string) => (name.includes(':') ? name.slice(name.indexOf(':') + 1) : '');

/**
 * The backup source each `--map` pair gives a source of this inventory: `a=b` with both sides
 * one source (`node` with one volume, or `node:volume`) maps that one; two nodes with several
 * volumes map them by volume name, and must have the same ones. Every refusal names `--map`.
 */
export function resolveMap(pairs: readonly MapPair[], backup: readonly BackupSource[], live: readonly LiveSource[], backupId: string): Map<string, BackupSource> {
  const field = '--map';
  const out = new Map<string, BackupSource>();
  const refuse = (p: MapPair, why: string, hint?: string) =>
    new FfError('INVALID_ARGUMENT', `${field} ${p.from}=${p.to}: ${why}`, { ...(hint ? { hint } : {}), details: { field } });
  for (const p of pairs) {
    const froms = backup.filter((s) => s.name === p.from || (!p.from.includes(':') && s.node === p.from));
    const tos = live.filter((s) => s.id === p.to || (!p.to.includes(':') && s.node === p.to));
    if (froms.length === 0) throw refuse(p, `backup ${backupId} has no source ${p.from}`, `its sources: ${backup.map((s) => s.name).join(', ') || 'none recorded'}`);
    if (tos.length === 0) throw refuse(p, `${p.to} is not a source of this inventory`, `sources: ${live.map((s) => s.id).join(', ')}`);
    let pairsOf: Array<[LiveSource, BackupSource]>;
    if (froms.length === 1 && tos.length === 1) {
      pairsOf = [[tos[0]!, froms[0]!]];
    } else {
      const fromVols = froms.map((s) => volumeOf(s.name)).sort();
      const toVols = tos.map((s) => volumeOf(s.id)).sort();
      if (fromVols.join('\0') !== toVols.join('\0')) {
        throw refuse(p, `the volumes differ (${froms.map((s) => s.name).join(', ')} in the backup; ${tos.map((s) => s.id).join(', ')} here)`, `map them one by one: --map ${froms[0]!.name}=${tos[0]!.id},...`);
      }
      pairsOf = tos.map((t) => [t, froms.find((f) => volumeOf(f.name) === volumeOf(t.id))!]);
    }
    for (const [t, f] of pairsOf) {
      if (out.has(t.id)) throw refuse(p, `${t.id} is mapped twice`);
      out.set(t.id, f);
    }
  }
  return out;
}

/**
 * An agent's refusal of a request field, as the operator knows it: `to_dir` is the restore's
 * `--to-dir`, `paths` its `--path`. Other errors pass unchanged.
 */
export function namingOption(e: unknown, toDir: string | undefined): FfError {
  const err = asFfError(e);
  const field = err.details?.field;
  if (field !== 'to_dir' && field !== 'paths') return err;
  const said = err.node && err.message.startsWith(`${err.node}: `) ? err.message.slice(err.node.length + 2) : err.message;
  const message = field === 'to_dir' ? `--to-dir ${toDir ?? ''} refused by ${err.node ?? 'the node'}: ${said}` : `--path refused by ${err.node ?? 'the target'}: ${said.replace(/^paths /, '')}`;
  return new FfError(err.code, message, {
    cause: err,
    ...(err.node ? { node: err.node } : {}),
    ...(err.hint ? { hint: err.hint } : {}),
    details: { ...err.details, field: field === 'to_dir' ? '--to-dir' : '--path' },
  });
}
