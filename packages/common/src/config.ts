import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { FfError } from './errors.js';
import { isIP } from 'node:net';
import { BACKUP_ID_RE, CASSANDRA_SYSTEM_KEYSPACES, CONTAINER_NAME_RE, FILE_NAME_RE, GLUSTER_VOLUME_RE, HOST_NAME_RE, HOST_PORT_RE, KEYSPACE_RE, NAME_RE, ZFS_DATASET_RE, isLvmName, isZfsDataset, parseDuration, entryName, VOLUME_NAME_RE } from './ids.js';

// Config is validated once, here, at the edge; the rest of the code trusts the typed result.

const name = z.string().regex(NAME_RE, 'must be a name: letters, digits, ".", "_", "-" (at most 63)');
const absPath = z.string().refine((p) => isAbsolute(p) && !p.split('/').includes('..'), 'must be an absolute path without ".."');
const hostPort = z.string().regex(HOST_PORT_RE, 'must be host:port');
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDuration(v);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a duration such as 30s or 5m' });
    return z.NEVER;
  }
});
/** `crl`: a CRL from `freezeframe certs revoke|crl`, re-read when it changes (no restart). */
const tls = z.object({ ca: z.string(), cert: z.string(), key: z.string(), crl: z.string().optional() }).strict();
const zfsDataset = z.string().regex(ZFS_DATASET_RE, 'must be a ZFS dataset name like pool/backup').refine(isZfsDataset, 'must be a ZFS dataset name like pool/backup');

/** A program from the agent's config: absolute binary first, then its arguments; never a shell string. */
const argv = z
  .array(z.string().min(1))
  .min(1)
  .refine((a) => isAbsolute(a[0]!), 'must start with the absolute path of a program (no shell, no PATH lookup)');
const hook = z.object({ argv, timeout: duration.default('60s') }).strict();
const keyspace = z
  .string()
  .regex(KEYSPACE_RE, 'must be a Cassandra keyspace name (letters, digits, _)')
  .refine((k) => !CASSANDRA_SYSTEM_KEYSPACES.includes(k.toLowerCase()), 'is a system keyspace; only application keyspaces are backed up and restored');
const unitName = z.string().regex(/^[A-Za-z0-9_.@:-]+\.(service|scope|slice|target)$/, 'must be a systemd unit name');
const containerName = z.string().regex(CONTAINER_NAME_RE, 'must be a container name');
/** How a service is stopped and started: a systemd unit or a Docker container. */
const serviceRef = z.union([
  z.object({ unit: unitName, systemctl: absPath.default('/usr/bin/systemctl') }).strict(),
  z.object({ container: containerName, socket: absPath.default('/var/run/docker.sock') }).strict(),
]);

/** lvm(8) names, stricter: no '+', '@', NUL, '..', leading '-' or '.', nor the names lvm reserves. */
const lvmName = (kind: 'vg' | 'lv') =>
  z.string().refine((n) => isLvmName(n, kind) && !n.includes('..'), `must be an LVM ${kind === 'vg' ? 'volume group' : 'logical volume'} name: letters, digits, "_", ".", "-" (not first), at most 64, no ".."${kind === 'lv' ? ', none of the names lvm reserves (_tdata, snapshot..., ...)' : ''}`);
/** lvcreate's `--size` (`2G`, `512m`) or `--extents` percentage (`10%ORIGIN`). */
const lvmSnapshotSize = z.string().regex(/^([1-9][0-9]{0,14}(\.[0-9]{1,6})?[bBsSkKmMgGtTpPeE]?|([1-9][0-9]?|100)%(ORIGIN|VG|FREE|PVS))$/, 'must be a size such as 2G or 512M, or a percentage such as 10%ORIGIN');
const hostName = z.string().refine((h) => HOST_NAME_RE.test(h) || isIP(h) !== 0, 'must be a host name or an IP address');

/** What a source's backups may leave out, for speed (see `leaveOut`). */
export const LEAVE_OUT_CLASSES = ['acls', 'xattrs'] as const;
export type LeaveOutClass = (typeof LEAVE_OUT_CLASSES)[number];

/**
 * ACLs and xattrs this volume's backups do not compare, on a volume known to carry none: rsync
 * reads both on both ends for every file, changed or not, most of an incremental's cost on some
 * hosts (bench/PROFILE.md, twenty-ninth pass). The first backup after the setting changes and
 * `backup --deep` still compare them; the manifest says what each backup left out.
 */
const leaveOut = z
  .array(z.enum(LEAVE_OUT_CLASSES))
  .refine((l) => new Set(l).size === l.length, 'names a class twice')
  .optional();

const sourceKinds = [
  z.object({ kind: z.literal('dir'), volume: absPath, leaveOut }).strict(),
  z
    .object({
      kind: z.literal('btrfs'),
      volume: absPath,
      /** Folder on the same btrfs filesystem where read-only snapshots are made (one per backup id). */
      snapshotMount: absPath,
      leaveOut,
    })
    .strict(),
  z
    .object({
      kind: z.literal('zfs'),
      volume: zfsDataset,
      /** Where the snapshot's clone is mounted for sending. */
      snapshotMount: absPath,
      leaveOut,
    })
    .strict(),
  z
    .object({
      kind: z.literal('lvm'),
      volumeGroup: lvmName('vg'),
      logicalVolume: lvmName('lv'),
      /** Room for a classic snapshot's changes; thin LVs need none (their snapshots share the pool). */
      snapshotSize: lvmSnapshotSize.optional(),
      /** Where the logical volume is mounted: restores write into it. */
      mountPoint: absPath,
      /** Where each snapshot is mounted read-only for sending, `<snapshotMount>/<backup id>`. */
      snapshotMount: absPath,
      /** The LV's file system; `xfs` adds `nouuid` to the snapshot's mount. */
      fsType: z.enum(['xfs', 'ext4', 'ext3', 'ext2']).optional(),
      leaveOut,
    })
    .strict(),
  z
    .object({
      kind: z.literal('gluster'),
      volume: z.string().regex(GLUSTER_VOLUME_RE, 'must be a GlusterFS volume name: letters, digits, "_", "-" (not first), at most 64'),
      /** The server a snapshot is mounted from (`<server>:/snaps/<snapshot>/<volume>`). */
      server: hostName.default('localhost'),
      mountPoint: absPath,
      snapshotMount: absPath,
      leaveOut,
    })
    .strict(),
  z
    .object({
      kind: z.literal('cassandra'),
      keyspaces: z.array(keyspace).min(1),
      nodetool: absPath.default('/usr/bin/nodetool'),
      dataDir: absPath.default('/var/lib/cassandra/data'),
      commitlogDir: absPath.default('/var/lib/cassandra/commitlog'),
      /** Hard-link trees for sending and restore staging; on the same filesystem as dataDir. */
      stagingDir: absPath.default('/var/lib/cassandra/freezeframe'),
      /** How RestoreKeyspace stops and starts Cassandra. */
      service: serviceRef.optional(),
      nodetoolTimeout: duration.default('10m'),
      repairTimeout: duration.default('24h'),
      /** How long a started Cassandra may take until `nodetool status` answers. */
      startTimeout: duration.default('10m'),
      /** Pause between `nodetool status` polls while waiting for Cassandra. */
      pollInterval: duration.default('5s'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('dump'),
      /** The dump area: each backup's dumps are written into `<volume>/<backup id>/` and sent from there. */
      volume: absPath,
      dumps: z
        .array(
          z
            .object({
              name: z.string().regex(NAME_RE, 'must be a name'),
              argv,
              /** File (in the dump folder) that receives the program's stdout. */
              output: z.string().regex(FILE_NAME_RE, 'must be a plain file name'),
              timeout: duration.default('1h'),
            })
            .strict(),
        )
        .min(1),
    })
    .strict(),
] as const;

const sourceSchema = z.discriminatedUnion('kind', [...sourceKinds]);

const volumeName = z.string().regex(VOLUME_NAME_RE, 'must be a volume name: letters, digits, "_", "-" (at most 32; it is shown as <node>:<name>)');

/** One volume of `sources:`: a source's settings and a name that tells it from the node's other volumes. */
const namedSourceSchema = z.discriminatedUnion(
  'kind',
  sourceKinds.map((k) => k.extend({ name: volumeName })) as unknown as [(typeof sourceKinds)[number], ...(typeof sourceKinds)[number][]],
) as unknown as z.ZodType<z.infer<typeof sourceSchema> & { name: string }, z.ZodTypeDef, unknown>;

/** Where a source kind keeps its per-backup snapshots (two volumes sharing it would take each other's). */
function snapshotFolder(s: z.infer<typeof sourceSchema>): string | undefined {
  if (s.kind === 'cassandra') return s.stagingDir;
  if (s.kind === 'dump') return s.volume;
  return 'snapshotMount' in s ? s.snapshotMount : undefined;
}

/** What makes an entry name (`<node>@+<volume>`): two volumes with the same one would write into one folder of every backup. */
export function sourceVolume(s: z.infer<typeof sourceSchema>): string {
  if (s.kind === 'lvm') return `${s.volumeGroup}/${s.logicalVolume}`;
  if (s.kind === 'cassandra') return s.dataDir;
  return s.volume;
}

const sourcesSchema = z
  .array(namedSourceSchema)
  .min(1)
  .superRefine((list, ctx) => {
    const seen = { name: new Map<string, number>(), volume: new Map<string, number>(), folder: new Map<string, number>() };
    list.forEach((s, i) => {
      const clash = (kind: keyof typeof seen, value: string | undefined, key: string, what: string, same = value) => {
        if (value === undefined || same === undefined) return;
        const other = seen[kind].get(same);
        if (other !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, key], message: `${what} ${value} is also sources[${other}]'s` });
        else seen[kind].set(same, i);
      };
      clash('name', s.name, 'name', 'name');
      // compared as entry names: /a/b and /a+b would share a folder
      clash('volume', sourceVolume(s), s.kind === 'lvm' ? 'logicalVolume' : 'volume', 'volume', entryName('', sourceVolume(s)));
      clash('folder', snapshotFolder(s), s.kind === 'cassandra' ? 'stagingDir' : s.kind === 'dump' ? 'volume' : 'snapshotMount', 'snapshot folder');
    });
    if (list.filter((s) => s.kind === 'cassandra').length > 1) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [], message: 'at most one cassandra volume per node (RestoreKeyspace restores into it)' });
  });

const freezeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({
      kind: z.literal('docker'),
      socket: absPath.default('/var/run/docker.sock'),
      /** Only containers with all these labels are paused (`key` or `key=value`); none: all running containers. */
      labels: z.array(z.string().min(1)).default([]),
    })
    .strict(),
  z
    .object({
      kind: z.literal('cgroup'),
      /** cgroup paths relative to the freezer hierarchy, e.g. `docker/<id>` or `myapp`. */
      cgroups: z.array(z.string().regex(/^[A-Za-z0-9_.@:-]+(\/[A-Za-z0-9_.@:-]+)*$/, 'must be a relative cgroup path')).default([]),
      /** systemd units, frozen through `system.slice/<unit>`. */
      units: z.array(z.string().regex(/^[A-Za-z0-9_.@:-]+\.(service|scope|slice)$/, 'must be a systemd unit name')).default([]),
      /** Root of the cgroup filesystem (tests point it elsewhere). */
      root: absPath.default('/sys/fs/cgroup'),
      version: z.enum(['auto', 'v1', 'v2']).default('auto'),
    })
    .strict(),
  z
    .object({
      kind: z.literal('command'),
      /** Runs at freeze; when it fails or times out, `post` still runs. */
      pre: hook.optional(),
      /** Runs at thaw, at lease expiry, after a failed `pre`, and at the next start after a crash. */
      post: hook.optional(),
    })
    .strict(),
]).superRefine((c, ctx) => {
  if (c.kind === 'command' && c.pre === undefined && c.post === undefined) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['post'], message: 'a command freeze needs a pre or a post hook' });
  }
});

/** The systemd units `services.dockerEngine` stops together (the socket too, or a client would start the engine again). */
export const ENGINE_UNITS: readonly string[] = ['docker.socket', 'docker.service'];

/** What `stop-services` stops (containers, then units, each in the listed order, then the Docker engine) and `start-services` starts again. */
const servicesSchema = z
  .object({
    socket: absPath.default('/var/run/docker.sock'),
    docker: z.array(containerName).default([]),
    /** Stop every running container except the agent's own (label freezeframe.role=agent). */
    allContainers: z.boolean().default(false),
    units: z.array(unitName).default([]),
    systemctl: absPath.default('/usr/bin/systemctl'),
    stopTimeout: duration.default('60s'),
    /** Stop the Docker engine itself (docker.socket and docker.service) after the units; its containers stop with it. */
    dockerEngine: z.boolean().default(false),
  })
  .strict()
  .superRefine((c, ctx) => {
    // stopping a swarm task's container makes the swarm start a new one: with the engine, the containers go with it
    if (c.dockerEngine && (c.docker.length > 0 || c.allContainers)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['dockerEngine'], message: 'dockerEngine stops every container with the engine: leave out docker and allContainers' });
    }
    for (const u of c.units) {
      if (c.dockerEngine && ENGINE_UNITS.includes(u)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['units'], message: `${u} is stopped by dockerEngine: leave it out of units` });
    }
  });

/** What a receiving rsync may fail to store; `other` (anything unrecognised) is never allowed. */
export const NOT_STORED_CLASSES = ['xattrs', 'acls', 'owners', 'times', 'permissions', 'hardlinks', 'specials'] as const;
export type NotStoredClass = (typeof NOT_STORED_CLASSES)[number] | 'other';

/**
 * Classes this target cannot hold and the operator accepts losing (e.g. xattrs and ACLs on
 * zfs-fuse): a backup that meets them still succeeds, and its manifest says what it lacks.
 */
const unsupported = z.array(z.enum(NOT_STORED_CLASSES)).optional();

/**
 * A remote target (`freezeframe replicate`): the certificate identity of the target agent whose
 * backups it receives as zfs/btrfs streams, from nobody else. Such a target takes no backups
 * from sources: its history must stay the sender's, so that every stream applies.
 */
const replicaOf = name.optional();

/** Where the newest backup stays readable for people (the design study's fixed browse path): refreshed after every backup. */
const browse = absPath.optional();

const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('zfs'), dataset: zfsDataset, unsupported, replicaOf, browse }).strict(),
  z.object({ kind: z.literal('dir'), path: absPath, unsupported, browse }).strict(),
  z.object({ kind: z.literal('btrfs'), path: absPath, unsupported, replicaOf, browse }).strict(),
]);

export const agentConfigSchema = z
  .object({
    name,
    listen: hostPort,
    /** The data channel's TLS listener; default: the listen host with port + 1 (or 0 when listen's port is 0). */
    dataListen: hostPort.optional(),
    /** auto: rsync's bytes go through stunnel when both agents have it (datachannel/stunnel.ts); off: through node. */
    nativeBytePath: z.enum(['auto', 'off']).default('auto'),
    tls,
    authorizedDirectors: z.array(name).min(1).default(['director']),
    /** Where the agent records what it froze and what it left behind, so a restart can undo it. */
    runDir: absPath.default('/run/freezeframe'),
    allowRestore: z.boolean().default(false),
    freezeLeaseMaxMs: duration.default('10m'),
    /**
     * Longest a freeze may last in total, renewals included, counted from the first pause of a
     * backup id; then the agent thaws and refuses further renewals of that id.
     */
    freezeMaxTotal: duration.default('10m').refine((ms) => ms > 0, 'must be longer than 0'),
    source: sourceSchema.optional(),
    /** Several volumes on one node, each stored as its own entry; instead of `source:`. */
    sources: sourcesSchema.optional(),
    freeze: freezeSchema.optional(),
    target: targetSchema.optional(),
    services: servicesSchema.optional(),
    /**
     * Loopback demos only: callers without a client certificate are treated as a director.
     * The agent still presents its own certificate, and peers still need theirs. Refused
     * unless listen (and dataListen) are loopback addresses.
     */
    insecure: z.boolean().default(false),
    /**
     * Tests only: a folder of stand-in programs (lvcreate, gluster, mount, ...) found before the
     * system's. Refused unless listen (and dataListen) are loopback addresses.
     */
    testStandIns: absPath.optional(),
    /** How long a data-channel ticket from OpenReceive stays valid. */
    ticketTtl: duration.default('60s'),
    /**
     * Folders a restore drill (and later a restore into a new folder) may write into; a drill's
     * folder must lie inside one of them. None: this node takes no drills.
     */
    restoreDirs: z.array(absPath).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.source && c.sources) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['sources'], message: 'use either source: (one volume) or sources: (several), not both' });
  });

export type ServicesConfig = z.infer<typeof servicesSchema>;
export type ServiceRef = z.infer<typeof serviceRef>;
export type AgentConfig = z.infer<typeof agentConfigSchema>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type NamedSourceConfig = z.infer<typeof namedSourceSchema>;
export type FreezeConfig = z.infer<typeof freezeSchema>;
export type TargetConfig = z.infer<typeof targetSchema>;

/**
 * Folders the metrics text file may be in: where node_exporter's textfile collector usually
 * reads (/var/lib/node_exporter/textfile_collector, Debian's /var/lib/prometheus/node-exporter,
 * /run/...) and temp folders. The director often runs as root: it never writes elsewhere.
 */
export const METRICS_FOLDERS = ['/var/lib/', '/run/', '/var/tmp/', '/tmp/'] as const;
const metricsFile = z
  .string()
  .refine((p) => /^\/[A-Za-z0-9_.\/@+-]+$/.test(p) && !p.split('/').includes('..'), 'must be an absolute path without ".." of letters, digits and _ . / @ + -')
  .refine((p) => p.endsWith('.prom') && !p.endsWith('/.prom'), 'must name a .prom file (the textfile collector reads only those)')
  .refine((p) => METRICS_FOLDERS.some((f) => p.startsWith(f)), `must be in one of ${METRICS_FOLDERS.join(', ')} (e.g. /var/lib/node_exporter/textfile_collector/freezeframe.prom)`);

/** A share of a backup's files, `10%`: more than 0, at most 100 (parseSamplePercent reads it). */
const samplePercent = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3})?%$/, 'must be a share of the files such as 10% or 2.5%')
  .refine((v) => parseSamplePercent(v) !== undefined, 'must be more than 0% and at most 100%');

/** `10%`, `2.5%` or `10` as a number in (0, 100]; undefined for anything else. */
export function parseSamplePercent(v: string): number | undefined {
  const m = /^\s*(\d{1,3}(?:\.\d{1,3})?)\s*%?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n > 0 && n <= 100 ? n : undefined;
}

const retentionSchema = z
  .object({
    last: z.number().int().min(1).default(7),
    daily: z.number().int().min(0).default(14),
    weekly: z.number().int().min(0).default(8),
    monthly: z.number().int().min(0).default(12),
  })
  .strict();

/**
 * `freezeframe replicate`: remote targets (target agents of another site, each with
 * target.replicaOf naming this deployment's target) that receive copies of the target's backups.
 */
const replicateSchema = z
  .object({
    to: z
      .array(
        z
          .object({
            /** The remote target agent's certificate identity; `--from NAME`, `list --target NAME`. */
            name,
            address: hostPort,
            /** Its own retention (a remote often keeps longer); default: the inventory's retention. */
            retention: retentionSchema.optional(),
          })
          .strict(),
      )
      .min(1),
    /** `backup`: every backup replicates when it is tagged; a failure is a warning of the backup, not its failure. */
    after: z.enum(['backup']).optional(),
  })
  .strict();

export const inventorySchema = z
  .object({
    deployment: name,
    tls,
    nodes: z
      .array(z.object({ name, address: hostPort }).strict())
      .min(1)
      .superRefine((nodes, ctx) => {
        const seen = new Set<string>();
        nodes.forEach((n, i) => {
          if (seen.has(n.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'name'], message: `duplicate node name ${n.name}` });
          seen.add(n.name);
        });
      }),
    freeze: z.object({ lease: duration.default('30s') }).strict().default({}),
    transfer: z.object({ concurrency: z.number().int().min(1).max(64).default(1) }).strict().default({}),
    retention: retentionSchema.default({}),
    /** Where run records are written (default: ~/.local/state/freezeframe/<deployment>). */
    stateDir: z.string().optional(),
    /** The Prometheus text file written after every backup, restore and prune (none when absent). */
    metrics: z.object({ textfile: metricsFile }).strict().optional(),
    /** `health --nagios`: the newest complete backup older than `maxAge` is WARNING, twice that CRITICAL. */
    health: z.object({ maxAge: duration.default('26h'), maxDrillAge: duration.default('192h') }).strict().default({}),
    /** `freezeframe drill`: the node that restores into a scratch folder, and that folder (inside one of its agent's restoreDirs). */
    drill: z.object({ node: name, dir: absPath, sample: samplePercent.optional() }).strict().optional(),
    replicate: replicateSchema.optional(),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const nodes = new Set(inv.nodes.map((n) => n.name));
    const seen = new Set<string>();
    inv.replicate?.to.forEach((r, i) => {
      // a remote is another site's agent: one of this deployment's nodes would receive its own backups
      if (nodes.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['replicate', 'to', i, 'name'], message: `${r.name} is one of nodes:; a remote target is another site's agent` });
      if (seen.has(r.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['replicate', 'to', i, 'name'], message: `duplicate remote target ${r.name}` });
      seen.add(r.name);
    });
  });

export type Inventory = z.infer<typeof inventorySchema>;

function formatIssues(file: string, error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const key = i.path.length ? i.path.join('.') : '(top level)';
      return `${file}: ${key}: ${i.message}`;
    })
    .join('\n');
}

/** Parses and validates YAML text; errors name the file and the key. */
export function parseConfig<T extends z.ZodTypeAny>(schema: T, text: string, file: string): z.output<T> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new FfError('CONFIG_INVALID', `${file}: not valid YAML: ${(e as Error).message}`);
  }
  const r = schema.safeParse(raw ?? {});
  if (!r.success) throw new FfError('CONFIG_INVALID', formatIssues(file, r.error), { details: { file } });
  return r.data;
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new FfError('CONFIG_INVALID', `${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      cause: e,
    });
  }
}

/** Relative TLS paths are resolved against the config file's folder. */
function resolveTls<T extends { tls: z.infer<typeof tls> }>(cfg: T, file: string): T {
  const base = dirname(resolve(file));
  const crl = cfg.tls.crl === undefined ? {} : { crl: resolve(base, cfg.tls.crl) };
  return { ...cfg, tls: { ca: resolve(base, cfg.tls.ca), cert: resolve(base, cfg.tls.cert), key: resolve(base, cfg.tls.key), ...crl } };
}

/** 127.0.0.0/8, ::1 and localhost: the only hosts `insecure: true` may listen on. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** `insecure` drops client authentication, so it must never be reachable from another host. */
export function checkInsecure(cfg: Pick<AgentConfig, 'insecure' | 'listen' | 'dataListen'>, file: string): void {
  if (!cfg.insecure) return;
  for (const [key, address] of [['listen', cfg.listen], ['dataListen', cfg.dataListen]] as const) {
    if (address !== undefined && !isLoopbackHost(splitHostPort(address).host)) {
      throw new FfError('CONFIG_INVALID', `${file}: insecure: allowed only with a loopback listen address (${key} is ${address})`, {
        details: { file },
        hint: 'remove insecure: true and use certificates from `freezeframe certs`',
      });
    }
  }
}

/** Stand-in programs are for tests on loopback: an agent reachable from elsewhere never runs them. */
export function checkStandIns(cfg: Pick<AgentConfig, 'testStandIns' | 'listen' | 'dataListen'>, file: string): void {
  if (cfg.testStandIns === undefined) return;
  for (const [key, address] of [['listen', cfg.listen], ['dataListen', cfg.dataListen]] as const) {
    if (address !== undefined && !isLoopbackHost(splitHostPort(address).host)) {
      throw new FfError('CONFIG_INVALID', `${file}: testStandIns: allowed only with a loopback listen address (${key} is ${address}); it is for tests`, {
        details: { file },
        hint: 'remove testStandIns: the agent then runs the system\'s programs',
      });
    }
  }
}

export function loadAgentConfig(file: string): AgentConfig {
  const cfg = parseConfig(agentConfigSchema, readConfigFile(file), file);
  checkInsecure(cfg, file);
  checkStandIns(cfg, file);
  return resolveTls(cfg, file);
}

export function loadInventory(file: string): Inventory {
  const cfg = parseConfig(inventorySchema, readConfigFile(file), file);
  const resolved = resolveTls(cfg, file);
  if (resolved.stateDir !== undefined) resolved.stateDir = resolve(dirname(resolve(file)), resolved.stateDir);
  return resolved;
}

const mode = (m: number) => `0${(m & 0o7777).toString(8)}`;

/** Owner and write bits of `path` (stat follows links) and of every folder above it and above its real path. */
function checkNotWritable(path: string, what: string, file: string): void {
  const uid = process.getuid?.() ?? 0;
  const refuse = (msg: string) => {
    throw new FfError('CONFIG_INVALID', `${file}: ${what}: ${msg}`, { details: { file }, hint: `owner root (or the agent's user), no write for group or others: chown root ${path} && chmod go-w ${path} (and its folders)` });
  };
  const st = statSync(path);
  if (st.uid !== 0 && st.uid !== uid) refuse(`${path} is owned by uid ${st.uid}, not by root or the agent's user`);
  if (st.mode & 0o022) refuse(`${path} is mode ${mode(st.mode)}: writable by ${st.mode & 0o002 ? 'others' : 'its group'}`);
  const folders = new Set<string>();
  for (let p of [resolve(path), realpathSync(path)]) {
    while (p !== dirname(p)) folders.add((p = dirname(p)));
  }
  for (const d of folders) {
    const ds = statSync(d);
    // a sticky folder (/tmp) lets nobody else rename or delete what they do not own
    const sticky = (ds.mode & 0o1000) !== 0;
    if (ds.uid !== 0 && ds.uid !== uid) refuse(`${path} is in ${d}, owned by uid ${ds.uid}, not by root or the agent's user`);
    if (ds.mode & 0o022 && !sticky) refuse(`${path} is in ${d}, mode ${mode(ds.mode)}: others could replace it`);
  }
}

/**
 * The agent runs its config's hooks as root and proves who it is with its key: refuse a config,
 * CA, certificate or CRL that anyone but root (or the agent's user) could change, and a key that
 * anyone else could read. Call after the TLS files were read (a missing one is reported there).
 */
export function checkAgentFiles(cfg: Pick<AgentConfig, 'tls'>, file: string): void {
  checkNotWritable(file, 'config', file);
  checkNotWritable(cfg.tls.ca, 'tls.ca', file);
  checkNotWritable(cfg.tls.cert, 'tls.cert', file);
  checkNotWritable(cfg.tls.key, 'tls.key', file);
  // whoever can replace the CRL can take revocations back
  if (cfg.tls.crl !== undefined) checkNotWritable(cfg.tls.crl, 'tls.crl', file);
  const key = statSync(cfg.tls.key);
  if (key.mode & 0o077) {
    throw new FfError('CONFIG_INVALID', `${file}: tls.key: ${cfg.tls.key} is mode ${mode(key.mode)}: only its owner may have access to a private key`, {
      details: { file },
      hint: `chmod 600 ${cfg.tls.key}`,
    });
  }
}

export function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(address.slice(i + 1)) };
}

export { BACKUP_ID_RE };
