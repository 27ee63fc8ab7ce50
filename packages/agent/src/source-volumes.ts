import { FfError, entryName, type AgentConfig, type LeaveOutClass, type Logger, type SourceConfig } from '@freezeframe/common';
import type { Check, CheckOptions } from './providers/checks.js';
import { createSource, type SourceProvider } from './providers/source/index.js';

/**
 * One source volume of this node: `source:` gives the node one, `sources:` several. Each is
 * stored in every backup as its own entry `<node>@+<volume>`, and RPCs that act on one volume
 * name it by that entry.
 */
export interface SourceVolume {
  /** Its name under `sources:`; absent for `source:`. */
  name?: string;
  /** The config key, for messages: `source` or `sources[1]`. */
  key: string;
  entry: string;
  provider: SourceProvider;
  /** What its backups leave out (its config's `leaveOut`): sent without unless PerformRsync says compare_left_out. */
  leaveOut: LeaveOutClass[];
}

/** The node's source volumes as configured, in order; none without a source role. */
export function sourceConfigs(cfg: Pick<AgentConfig, 'source' | 'sources'>): Array<{ key: string; name?: string; config: SourceConfig }> {
  if (cfg.source) return [{ key: 'source', config: cfg.source }];
  return (cfg.sources ?? []).map(({ name, ...config }, i) => ({ key: `sources[${i}]`, name, config: config as SourceConfig }));
}

/** The node's Cassandra volume's config, if it has one (at most one, see the schema). */
export function cassandraConfig(cfg: Pick<AgentConfig, 'source' | 'sources'>): Extract<SourceConfig, { kind: 'cassandra' }> | undefined {
  for (const { config } of sourceConfigs(cfg)) if (config.kind === 'cassandra') return config;
  return undefined;
}

export function createSourceVolumes(cfg: AgentConfig, log: Logger): SourceVolume[] {
  return sourceConfigs(cfg).map(({ key, name, config }) => {
    const provider = createSource(config, log.child({ provider: 'source', ...(name ? { volume: name } : {}) }));
    return { key, ...(name ? { name } : {}), entry: entryName(cfg.name, provider.volume), provider, leaveOut: 'leaveOut' in config ? (config.leaveOut ?? []) : [] };
  });
}

/** The volume an RPC names by `entry`; an empty entry means the node's only volume. */
export function findVolume(volumes: readonly SourceVolume[], node: string, entry: string, field = 'entry'): SourceVolume {
  if (entry === '') {
    if (volumes.length === 1) return volumes[0]!;
    throw new FfError('INVALID_ARGUMENT', `node ${node} has ${volumes.length} source volumes (${volumes.map((v) => v.entry).join(', ')}): ${field} must name one`, { details: { field } });
  }
  const v = volumes.find((x) => x.entry === entry);
  if (!v) throw new FfError('NOT_FOUND', `node ${node} has no source volume ${entry} (it has: ${volumes.map((x) => x.entry).join(', ')})`, { details: { field } });
  return v;
}

/**
 * The volume a restore of the backup's `entry` writes into: the one of that entry; else the one
 * with the same volume (the backup came from a node of another name, e.g. another deployment);
 * else the node's only volume. The folder written is always one of this node's own volumes.
 */
export function restoreVolume(volumes: readonly SourceVolume[], node: string, entry: string): SourceVolume {
  if (entry === '') return findVolume(volumes, node, entry);
  const volumePart = (e: string) => e.slice(e.indexOf('@+'));
  const v = volumes.find((x) => x.entry === entry) ?? volumes.find((x) => volumePart(x.entry) === volumePart(entry)) ?? (volumes.length === 1 ? volumes[0] : undefined);
  if (!v) throw new FfError('NOT_FOUND', `node ${node} has no source volume to restore ${entry} into (it has: ${volumes.map((x) => x.entry).join(', ')})`, { details: { field: 'entry' } });
  return v;
}

/**
 * A volume's checks with their details naming its own config key: the providers write
 * `source.volume: ...`, which under `sources:` is `sources[1].volume`.
 */
export async function volumeChecks(v: SourceVolume, o?: CheckOptions): Promise<Check[]> {
  const checks = await v.provider.checks(o);
  if (v.key === 'source') return checks;
  return checks.map((c) => ({ ...c, detail: c.detail.replace(/\bsource\.(?=[A-Za-z])/g, `${v.key}.`) }));
}
