// What docs/config.md says about each config key, for an operator. The keys, types, defaults and
// required flags come from the schemas in config.ts; config-doc.ts joins them with these texts
// and refuses a key without a description, an entry that names no key, and an example the
// key's schema refuses. After an edit here or in config.ts: `pnpm gen:config-doc`.

/** A key's one-line description and an example value in YAML (flow style); the example defaults to the key's default. */
export interface KeyText {
  text: string;
  example?: string;
}

/** `leaveOut`, the same on every kind of source that is a file tree. */
const LEAVE_OUT_TEXT = { text: 'ACLs (`acls`) and extended attributes (`xattrs`) this volume\'s backups do not compare with the stored copy, for a volume known to carry none (a database\'s data folder): rsync reads both on both ends for every file, changed or not. Not set: both are kept. A volume\'s first backup, the first after this changes and every `backup --deep` still compare them, and count and warn about what differed; each backup\'s manifest says what it left out (`leftOut`). Restores always carry what the backup holds.', example: '[acls, xattrs]' };

/** The top of docs/config.md, before the generated tables. */
export const CONFIG_DOC_INTRO = `
# Configuration reference

freezeframe reads two YAML files. Both are checked against a schema when they are loaded: an
unknown key, a missing required key or a wrong value stops the program with exit code 2 and a
message naming the file and the key (\`agent.yaml: source.snapshotMount: Required\`).

| File | Read by | Where | Samples | How to check it |
|---|---|---|---|---|
| agent config | \`freezeframe-agent\` on each node | \`/etc/freezeframe/agent.yaml\`, given with \`--config FILE\`; owned by root (or the agent's user) and writable by nobody else, like the TLS files it names (the agent refuses them otherwise) | \`examples/agent-source-btrfs.yaml\`, \`examples/agent-source-cgroup.yaml\`, \`examples/agent-target-zfs.yaml\` | \`freezeframe-agent --config FILE --check\` on the node: checks the config, its TLS files and what they name (paths, file systems, cgroups, datasets, programs, the certificate's name), prints \`FILE: ok (node NAME: ...)\` or one line per problem |
| inventory | \`freezeframe\` (the director) | \`-i FILE\` or \`FREEZEFRAME_INVENTORY\`, e.g. \`/etc/freezeframe/inventory.yaml\` | \`examples/inventory.yaml\` | every command loads it first; \`freezeframe health\` also reaches every node it lists |

\`examples/invalid/\` holds configs that must be refused, each with the key its error names.

How to read the tables:

- **Key**: \`tls.key\` is the key \`key\` inside \`tls:\`; \`[]\` marks a list (\`nodes[].name\` is the
  \`name\` of each entry of \`nodes:\`); \`source.kind=btrfs: snapshotMount\` is a key of \`source:\`
  that exists only when its \`kind\` is \`btrfs\`. Keys not listed are refused.
- **Required**: \`yes\` means it must be present whenever its parent is; an optional key left out
  takes the **Default**, or, where there is none, the description says what happens. A default
  of \`{}\` means the whole object may be left out, and its keys take their own defaults.
- **Durations** are a number with a unit, \`ms\`, \`s\`, \`m\` or \`h\` (\`250ms\`, \`30s\`, \`10m\`,
  \`1.5h\`, \`24h\`), or a plain number of seconds (\`90\`). This holds for \`freezeLeaseMaxMs\` too,
  despite its name.
- **Absolute path**: starts with \`/\` and has no \`..\`. The TLS files (\`tls.*\`) may be relative
  paths: they are resolved against the folder of the file that names them.
- **Names** (nodes, the deployment, directors): letters, digits, \`.\`, \`_\`, \`-\`, starting with a
  letter or digit, at most 63 characters.

This page is generated from the schemas (\`packages/common/src/config.ts\`) and the descriptions
in \`packages/common/src/config-keys.ts\` by \`pnpm gen:config-doc\`; a unit test fails when it is
out of date.
`;

const agent: Record<string, KeyText> = {
  name: { text: "This node's name: the common name of its certificate (`freezeframe certs issue --name`) and its `nodes[].name` in the inventory; it appears in logs, errors and backup entries.", example: 'cassandra-1' },
  listen: { text: 'Address and port of the gRPC server the director calls; `0.0.0.0:7450` for every interface.', example: '0.0.0.0:7450' },
  dataListen: { text: "Address of the data channel (rsync through TLS, between agents); without it: the host of `listen` with its port + 1 (`0.0.0.0:7451`).", example: '0.0.0.0:7451' },
  nativeBytePath: {
    text: "How rsync's bytes cross the data channel. `auto`: when both agents have stunnel (Debian package stunnel4), node checks the session and stunnel (OpenSSL in C) carries the bytes, on a port the receiver opens for that session only (any free port of the data channel's address: a firewall between agents must let them through); otherwise node relays them. `off`: node always relays (slower, one port only).",
    example: 'auto',
  },
  tls: { text: "The node's certificate and the CA that every peer's certificate must come from; the agent does not start without them.", example: '{ ca: ca.pem, cert: cassandra-1.pem, key: cassandra-1-key.pem }' },
  'tls.ca': { text: 'PEM file of the private CA (`ca.pem` from `freezeframe certs init`); peers are checked against it only, never the system roots.', example: '/etc/freezeframe/ca.pem' },
  'tls.cert': { text: "PEM file of this node's certificate (`<node>.pem` from `freezeframe certs issue`).", example: '/etc/freezeframe/cassandra-1.pem' },
  'tls.key': { text: "PEM file of this node's private key; readable by its owner only (mode 0600): the agent refuses a key that group or others may access.", example: '/etc/freezeframe/cassandra-1-key.pem' },
  'tls.crl': { text: 'PEM file of the CA\'s revocation list (`crl.pem` from `freezeframe certs`): peers whose certificate it lists are refused; re-read when it changes, no restart; without it nothing is treated as revoked.', example: '/etc/freezeframe/crl.pem' },
  'authorizedDirectors[]': { text: 'Certificate names allowed to call the control RPCs (freeze, snapshot, restore, ...); other certificates, such as other agents\', get PERMISSION_DENIED.', example: '[director]' },
  runDir: { text: 'Folder (created mode 0700) where the agent records what it froze, stopped or snapshotted, so that a restarted agent can undo it; must be writable.', example: '/run/freezeframe' },
  allowRestore: { text: 'Accept restores into this node (data written into its volumes, keyspaces replaced); keep it `false` except while restoring.', example: 'true' },
  freezeLeaseMaxMs: { text: "Longest freeze lease this agent grants per request (a duration, e.g. `10m`, not milliseconds): the director's `freeze.lease` is cut to it; without a renewal within the lease the agent thaws by itself.", example: '2m' },
  freezeMaxTotal: { text: 'Longest a freeze of one backup may last in total, renewals included, from its first pause; then the agent thaws and refuses further renewals of that backup (the backup fails). Must be longer than 0.', example: '15m' },
  source: { text: 'Makes this node a source: the volume, dataset or data that is backed up from it (and restored into it); without it the node has no source role.', example: '{ kind: dir, volume: /srv/app }' },
  'source.kind': { text: 'What the source is and how it is snapshotted: `dir` a plain folder (no snapshot), `btrfs` a subvolume, `zfs` a dataset, `lvm` an LVM logical volume, `gluster` a GlusterFS volume, `cassandra` keyspaces via nodetool, `dump` the output of dump programs.', example: 'btrfs' },
  'sources[]': { text: 'Several volumes on this node instead of one `source:`: each item has the keys of `source:` (any kind) and a `name`. Every backup stores each volume as its own entry `<node>@+<volume>`; the freeze is once per node, every volume is snapshotted in the snapshot phase and transferred on its own. The director names each `<node>:<name>` (`restore --only db-1:logs`; `--only db-1` restores all of them). Two volumes may not share a volume, a snapshot folder or a name.', example: '[{ name: data, kind: btrfs, volume: /srv/data, snapshotMount: /srv/.snapshots }, { name: logs, kind: dir, volume: /var/log/app }]' },
  'sources[].name': { text: 'The volume\'s name, shown as `<node>:<name>`: letters, digits, `_`, `-`, at most 32.', example: 'data' },
  'source.kind=dir: volume': { text: 'Folder that is backed up as it is: with no snapshot, the freeze is held (and renewed) until its transfer ends, so the applications stay paused that long.', example: '/srv/manager' },
  'source.kind=dir: leaveOut[]': LEAVE_OUT_TEXT,
  'source.kind=btrfs: volume': { text: 'The btrfs subvolume that is backed up (a read-only snapshot of it per backup).', example: '/docker_local' },
  'source.kind=btrfs: snapshotMount': { text: 'Folder on the same btrfs filesystem that holds the read-only snapshots, one `<snapshotMount>/<backup id>` per backup, removed after the transfer; created if missing.', example: '/local_backupsource' },
  'source.kind=btrfs: leaveOut[]': LEAVE_OUT_TEXT,
  'source.kind=zfs: volume': { text: 'The ZFS dataset that is backed up (`pool/name`, no leading `/`); each backup takes `<dataset>@<backup id>`.', example: 'tank/app' },
  'source.kind=zfs: snapshotMount': { text: "Folder where the snapshot's read-only clone is mounted for sending, `<snapshotMount>/<backup id>`.", example: '/var/lib/freezeframe/zfs' },
  'source.kind=zfs: leaveOut[]': LEAVE_OUT_TEXT,
  'source.kind=lvm: volumeGroup': { text: 'The LVM volume group of the logical volume: letters, digits, `_`, `.`, `-` (not first), at most 64; no `+`, `@`, `..`.', example: 'vg0' },
  'source.kind=lvm: logicalVolume': { text: "The logical volume that is backed up; each backup takes the snapshot LV `<logicalVolume>-ff-<backup id>`, tagged `freezeframe`, removed after the transfer. Same characters as volumeGroup, and none of the names lvm reserves (`*_tdata`, `snapshot*`, ...).", example: 'data' },
  'source.kind=lvm: snapshotSize': { text: "Room for a classic snapshot's changes while the transfer runs (`lvcreate --size`, or `--extents` for a percentage): `2G`, `512M`, `10%ORIGIN`. Leave it out for a thin LV: its snapshot is thin too and shares the pool. Health checks the volume group has it free (or the thin pool has room).", example: '10%ORIGIN' },
  'source.kind=lvm: mountPoint': { text: 'Where the logical volume is mounted on this node: restores write into it.', example: '/srv/data' },
  'source.kind=lvm: snapshotMount': { text: 'Folder where each snapshot is mounted read-only for sending, `<snapshotMount>/<backup id>`; created if missing.', example: '/var/lib/freezeframe/lvm' },
  'source.kind=lvm: fsType': { text: "The LV's file system (`xfs`, `ext4`, `ext3`, `ext2`), given to mount; `xfs` also mounts with `nouuid` (the snapshot has its origin's UUID). Left out, mount detects it, and an XFS snapshot fails to mount.", example: 'xfs' },
  'source.kind=lvm: leaveOut[]': LEAVE_OUT_TEXT,
  'source.kind=gluster: volume': { text: 'The GlusterFS volume that is backed up; each backup takes the snapshot `<volume>-ff-<backup id>` (`gluster snapshot create ... no-timestamp`), activated, mounted, then deactivated and deleted after the transfer. Its bricks must be thin LVs (GlusterFS needs that for snapshots).', example: 'gv0' },
  'source.kind=gluster: server': { text: 'The GlusterFS server each snapshot is mounted from, `<server>:/snaps/<snapshot>/<volume>`; a host name or an IP address.', example: 'gl1.example.com' },
  'source.kind=gluster: mountPoint': { text: 'Where the volume is mounted on this node (FUSE): restores write into it.', example: '/mnt/gv0' },
  'source.kind=gluster: snapshotMount': { text: 'Folder where each snapshot is mounted read-only for sending, `<snapshotMount>/<backup id>`; created if missing.', example: '/var/lib/freezeframe/gluster' },
  'source.kind=gluster: leaveOut[]': LEAVE_OUT_TEXT,
  'source.kind=cassandra: keyspaces[]': { text: 'Application keyspaces to snapshot (`nodetool snapshot`) and restore; the system keyspaces (`system`, `system_schema`, ...) are refused.', example: '[shop, accounts]' },
  'source.kind=cassandra: nodetool': { text: 'The nodetool program used for flush, snapshot, clearsnapshot, drain, status and repair.', example: '/opt/cassandra/bin/nodetool' },
  'source.kind=cassandra: dataDir': { text: "Cassandra's data folder (`data_file_directories`), where its tables and snapshots are.", example: '/var/lib/cassandra/data' },
  'source.kind=cassandra: commitlogDir': { text: "Cassandra's commit log folder, emptied by a keyspace restore while Cassandra is stopped.", example: '/var/lib/cassandra/commitlog' },
  'source.kind=cassandra: stagingDir': { text: 'Folder for the hard-link trees that are sent (`backup/<id>`) and received for a restore (`restore/`); must be on the same filesystem as `dataDir`.', example: '/var/lib/cassandra/freezeframe' },
  'source.kind=cassandra: service': { text: 'How a keyspace restore stops and starts Cassandra: a systemd unit or a Docker container; without it keyspace restores are refused (backups work).', example: '{ unit: cassandra.service }' },
  'source.kind=cassandra: service.unit': { text: 'The systemd unit of Cassandra, stopped and started with `systemctl`.', example: 'cassandra.service' },
  'source.kind=cassandra: service.systemctl': { text: 'The systemctl program used to stop and start the unit.', example: '/usr/bin/systemctl' },
  'source.kind=cassandra: service.container': { text: 'The Docker container running Cassandra, stopped and started through the Docker Engine API.', example: 'cassandra' },
  'source.kind=cassandra: service.socket': { text: "The Docker Engine API socket for the container.", example: '/var/run/docker.sock' },
  'source.kind=cassandra: nodetoolTimeout': { text: 'Longest one nodetool call (flush, snapshot, drain, ...) or one stop or start of the service may take before it is killed and the step fails.', example: '15m' },
  'source.kind=cassandra: repairTimeout': { text: 'Longest `nodetool repair` of one keyspace may take after a keyspace restore.', example: '48h' },
  'source.kind=cassandra: startTimeout': { text: 'How long a restarted Cassandra may take until `nodetool status` answers; then the restore fails, naming the `wait` step.', example: '20m' },
  'source.kind=cassandra: pollInterval': { text: 'Pause between `nodetool status` polls while waiting for a restarted Cassandra.', example: '10s' },
  'source.kind=dump: volume': { text: "The dump area: each backup's dumps are written into `<volume>/<backup id>/` and sent from there; a restore writes them into `<volume>/restore/`.", example: '/var/backups/freezeframe' },
  'source.kind=dump: dumps[]': { text: 'The dump programs, run one after another at each backup; if one fails or times out the backup fails and nothing is left behind.', example: '[{ name: appdb, argv: [/usr/bin/pg_dump, appdb], output: appdb.sql }]' },
  'source.kind=dump: dumps[].name': { text: 'Name of the dump, used in logs and errors.', example: 'appdb' },
  'source.kind=dump: dumps[].argv[]': { text: 'The program and its arguments, run without a shell: the first element is an absolute path; its stdout becomes the dump file.', example: '[/usr/bin/pg_dump, -h, /run/postgresql, -U, backup, appdb]' },
  'source.kind=dump: dumps[].output': { text: "File name (no folder) in the backup's dump folder that receives the program's stdout.", example: 'appdb.sql' },
  'source.kind=dump: dumps[].timeout': { text: 'Longest the program may run; then its process group is killed and the backup fails.', example: '2h' },
  freeze: { text: 'Makes this node a freeze host: how its applications are paused while the sources are snapshotted; without it nothing is paused on this node.', example: '{ kind: docker }' },
  'freeze.kind': { text: 'How to pause: `none` (nothing; the node still takes part in the freeze phase), `docker` (pause containers), `cgroup` (kernel freezer on cgroups and systemd units), `command` (run hooks).', example: 'cgroup' },
  'freeze.kind=docker: socket': { text: 'The Docker Engine API socket through which containers are paused and unpaused.', example: '/var/run/docker.sock' },
  'freeze.kind=docker: labels[]': { text: "Pause only running containers that have all these labels (`key` or `key=value`); empty: every running container. The agent's own container (label `freezeframe.role=agent`) is never paused.", example: '[com.example.backup=pause]' },
  'freeze.kind=cgroup: cgroups[]': { text: 'cgroups to freeze, as paths relative to the freezer hierarchy (v1) or the cgroup root (v2); each must exist when the freeze starts.', example: '[docker/3f1c9a0b, myapp]' },
  'freeze.kind=cgroup: units[]': { text: 'systemd units to freeze, through their cgroup `system.slice/<unit>`; added to `cgroups`.', example: '[manager.service]' },
  'freeze.kind=cgroup: root': { text: 'Root of the cgroup filesystem; change it only for tests.', example: '/sys/fs/cgroup' },
  'freeze.kind=cgroup: version': { text: 'Which freezer to use: `v1` (the freezer hierarchy), `v2` (cgroup.freeze), or `auto`: for each group, whichever hierarchy has it.', example: 'v2' },
  'freeze.kind=command: pre': { text: 'Hook run at freeze (e.g. switch the application to maintenance); when it fails or times out, `post` still runs and the backup fails. At least one of `pre` and `post` is required.', example: '{ argv: [/usr/local/sbin/app-maintenance, "on"], timeout: 30s }' },
  'freeze.kind=command: pre.argv[]': { text: 'The program and its arguments, run without a shell and with a scrubbed environment: the first element is an absolute path.', example: '[/usr/local/sbin/app-maintenance, "on"]' },
  'freeze.kind=command: pre.timeout': { text: "Longest the hook may run; then its process group is killed and it counts as failed.", example: '30s' },
  'freeze.kind=command: post': { text: 'Hook run at thaw, when the lease runs out, after a failed `pre`, at agent shutdown and at the next start after a crash; retried every 5 s until it succeeds, so it must be safe to run twice.', example: '{ argv: [/usr/local/sbin/app-maintenance, "off"], timeout: 30s }' },
  'freeze.kind=command: post.argv[]': { text: 'The program and its arguments, run without a shell and with a scrubbed environment: the first element is an absolute path.', example: '[/usr/local/sbin/app-maintenance, "off"]' },
  'freeze.kind=command: post.timeout': { text: 'Longest the hook may run; then its process group is killed and it counts as failed (and is retried).', example: '30s' },
  target: { text: 'Makes this node the backup target, where every backup is kept; a deployment has exactly one.', example: '{ kind: zfs, dataset: backup/current }' },
  'target.kind': { text: 'How backups are kept: `zfs` one ZFS snapshot per backup, `btrfs` one read-only btrfs snapshot per backup, `dir` one hard-linked folder tree per backup.', example: 'zfs' },
  'target.kind=zfs: dataset': { text: 'The dataset (not a pool\'s root) whose mounted tree receives every backup; each backup is the snapshot `<dataset>@<backup id>`, restores read from clones beside it.', example: 'backup/current' },
  'target.kind=zfs: unsupported[]': { text: "What this target may fail to store without failing the backup (e.g. `xattrs`, `acls` on zfs-fuse); such a backup warns and its manifest says what it lacks. Not set: any such loss fails the backup.", example: '[xattrs, acls]' },
  'target.kind=dir: path': { text: 'Folder that holds the backups, `<path>/<backup id>`, unchanged files hard-linked to the previous backup; a backup in progress is in `<path>/.partial/<backup id>`.', example: '/srv/backups' },
  'target.kind=dir: unsupported[]': { text: "What this target may fail to store without failing the backup (e.g. `owners` when the folder's filesystem cannot hold them); such a backup warns and its manifest says what it lacks. Not set: any such loss fails the backup.", example: '[xattrs]' },
  'target.kind=btrfs: path': { text: 'Folder on btrfs that holds the backups: the subvolume `<path>/current` receives every backup in place (created if missing), each backup is the read-only snapshot `<path>/<backup id>`.', example: '/srv/backups' },
  'target.kind=btrfs: unsupported[]': { text: "What this target may fail to store without failing the backup; such a backup warns and its manifest says what it lacks. Not set: any such loss fails the backup.", example: '[xattrs]' },
  'target.kind=zfs: browse': { text: "Keeps the newest backup mounted read-only at this path for people to look around in (a clone `<dataset>-latest` with this mountpoint, nosuid, nodev, noexec), replaced after every backup; the path must not exist or be that clone's mountpoint. Not set: use `freezeframe mount`.", example: '/srv/backup-latest' },
  'target.kind=btrfs: browse': { text: "Keeps a symbolic link at this path to the newest backup's read-only snapshot, replaced atomically after every backup; a folder or file already there is refused (Health warns). Not set: use `freezeframe mount`.", example: '/srv/backup-latest' },
  'target.kind=dir: browse': { text: "Keeps a symbolic link at this path to the newest backup's tree, replaced atomically after every backup (the tree is not read-only: browse it as a user who cannot write there); a folder or file already there is refused (Health warns). Not set: use `freezeframe mount`.", example: '/srv/backup-latest' },
  'target.kind=zfs: replicaOf': { text: "Makes this a remote target for `freezeframe replicate`: the certificate name of the target agent whose backups it receives as `zfs send` streams, from no one else, into its own `dataset` (never one the sender names). It then takes no backups from sources, so that its history stays the sender's and every incremental stream applies.", example: 'backup-target' },
  'target.kind=btrfs: replicaOf': { text: "Makes this a remote target for `freezeframe replicate`: the certificate name of the target agent whose backups it receives as `btrfs send` streams, from no one else, into its own `path`. It then takes no backups from sources.", example: 'backup-target' },
  services: { text: "What `freezeframe stop-services` stops (containers, then units, each in the listed order, then the Docker engine with `dockerEngine`) and `start-services` starts again; without it the node reports no services.", example: '{ docker: [web, worker], units: [nginx.service] }' },
  'services.socket': { text: 'The Docker Engine API socket for `docker` and `allContainers`.', example: '/var/run/docker.sock' },
  'services.docker[]': { text: 'Containers to stop, in this order; ones not running are reported and left alone.', example: '[web, worker, cache]' },
  'services.allContainers': { text: "Stop every running container, except the agent's own (label `freezeframe.role=agent`), in addition to `docker`.", example: 'true' },
  'services.units[]': { text: 'systemd units to stop after the containers, in this order.', example: '[nginx.service, app.service]' },
  'services.systemctl': { text: 'The systemctl program used to stop and start the units.', example: '/usr/bin/systemctl' },
  'services.stopTimeout': { text: 'Longest the stop of one container (then the engine kills it) or one unit may take.', example: '2m' },
  'services.dockerEngine': { text: 'Stop the Docker engine itself, `systemctl stop docker.socket docker.service`, after the units, and start it before them (Docker Swarm nodes: a stopped task container would be replaced by the swarm). Every container stops with the engine, so `docker` and `allContainers` are refused beside it; after the start, containers come back by their restart policy and the swarm.', example: 'true' },
  insecure: { text: 'Loopback demos only: callers without a client certificate count as a director. Refused unless `listen` and `dataListen` are loopback addresses; the data channel keeps mutual TLS.', example: 'false' },
  testStandIns: { text: "Tests only: a folder of stand-in programs (lvs, lvcreate, gluster, mount, ...) the agent runs instead of the system's programs of the same name. Refused unless `listen` and `dataListen` are loopback addresses; never read from the environment.", example: '/tmp/ff-test/standins/bin' },
  ticketTtl: { text: 'How long a one-time data-channel ticket stays valid after the target (or a restored node) issued it; a transfer must start within it.', example: '2m' },
  'restoreDirs[]': { text: "Folders a restore drill (`freezeframe drill`, the inventory's `drill.dir`) or a restore into a folder (`restore --to-dir`) may write into: the folder named must lie inside one of them, with no `..` and no symbolic link anywhere on its path; the agent makes `<dir>/<drill id>` or `<dir>/<restore id>` (mode 0700) itself. A drill deletes its folder afterwards; a restore's stays for the operator to inspect, merge and remove. Empty: this node takes neither.", example: '[/srv/freezeframe-drill]' },
};

const inventory: Record<string, KeyText> = {
  deployment: { text: 'Name of the deployment: recorded in every backup manifest (retention never deletes backups of another deployment) and in the default `stateDir`.', example: 'uat' },
  tls: { text: "The director's own certificate and the CA every agent's certificate must come from.", example: '{ ca: pki/ca.pem, cert: pki/director.pem, key: pki/director-key.pem }' },
  'tls.ca': { text: 'PEM file of the private CA (`ca.pem` from `freezeframe certs init`).', example: 'pki/ca.pem' },
  'tls.cert': { text: "PEM file of the director's certificate (`director.pem`, name `director`, which agents must list in `authorizedDirectors`).", example: 'pki/director.pem' },
  'tls.key': { text: "PEM file of the director's private key; guard it like root's ssh key.", example: 'pki/director-key.pem' },
  'tls.crl': { text: "PEM file of the CA's revocation list: an agent whose certificate it lists is refused; without it nothing is treated as revoked.", example: 'pki/crl.pem' },
  'nodes[]': { text: "Every agent of the deployment; each node's roles (source, freeze, target) come from its own agent config.", example: '[{ name: backup-target, address: 10.0.0.92:7450 }]' },
  'nodes[].name': { text: "The node's name: must be the `name` in its agent config and the name in its certificate (a certificate naming another node is refused); unique.", example: 'cassandra-1' },
  'nodes[].address': { text: "Host (name or IP; IPv6 in brackets) and port of the agent's `listen`.", example: '10.0.0.21:7450' },
  freeze: { text: 'How the director freezes.', example: '{ lease: 30s }' },
  'freeze.lease': { text: "Lease asked for with each freeze: an agent that hears neither a renewal (every third of it) nor a thaw within it thaws by itself; capped by each agent's `freezeLeaseMaxMs`. The target lock's lease is 3 times this, at least 5 s.", example: '45s' },
  transfer: { text: 'How snapshots are moved to the target.', example: '{ concurrency: 2 }' },
  'transfer.concurrency': { text: 'How many sources are transferred at the same time.', example: '2' },
  retention: { text: 'Which backups are kept after each successful backup and by `freezeframe prune`; all others of this deployment are deleted, oldest first. The newest backup is always kept.', example: '{ last: 7, daily: 14, weekly: 8, monthly: 12 }' },
  'retention.last': { text: 'Keep this many newest backups.', example: '3' },
  'retention.daily': { text: 'Also keep the newest backup of each of the last N days that have one (0: none).', example: '7' },
  'retention.weekly': { text: 'Also keep the newest backup of each of the last N ISO weeks that have one (0: none).', example: '4' },
  'retention.monthly': { text: 'Also keep the newest backup of each of the last N months that have one (0: none).', example: '6' },
  metrics: { text: "Prometheus metrics for node_exporter's textfile collector, written atomically after every backup, restore and prune (docs/applications.md#metrics).", example: '{ textfile: /var/lib/node_exporter/textfile_collector/freezeframe.prom }' },
  'metrics.textfile': { text: 'The `.prom` file to write: absolute, in `/var/lib/`, `/run/`, `/var/tmp/` or `/tmp/`; its folder is made if missing. The run records in `stateDir` carry the last success across failed runs.', example: '/var/lib/node_exporter/textfile_collector/freezeframe.prom' },
  health: { text: 'What `freezeframe health --nagios` checks beyond the nodes.', example: '{ maxAge: 26h }' },
  'health.maxAge': { text: 'The newest complete backup older than this is WARNING, older than twice this CRITICAL (`--max-age` overrides; `0` turns the check off).', example: '50h' },
  'health.maxDrillAge': { text: 'With `drill:` set: WARNING when the newest successful restore drill (`freezeframe drill`, as recorded in `stateDir`) is older than this, when there is none, or when the newest drill failed (`0` turns the check off).', example: '336h' },
  drill: { text: 'Where `freezeframe drill` restores a backup to check it: a node and a folder on it; without it there are no drills (and `health --nagios` checks none).', example: '{ node: backup-target, dir: /srv/freezeframe-drill }' },
  'drill.node': { text: "The node that restores into a scratch folder (one of `nodes[]`): any agent whose config lists a `restoreDirs` folder holding `drill.dir`, e.g. the target itself or a spare node; its free space must hold the backup (or the sample).", example: 'backup-target' },
  'drill.dir': { text: "Folder on that node inside one of its agent's `restoreDirs` (checked by the agent, which refuses anything else, `..` and symbolic links); each drill writes into `<dir>/<drill id>`, which the agent makes fresh and removes afterwards. Use a folder only drills use: a drill removes the `drill_*` folders an interrupted drill left there.", example: '/srv/freezeframe-drill' },
  'drill.sample': { text: 'Restore and check only this share of the files, chosen at random for each drill (at least one file); `--sample` overrides. Not set: the whole backup.', example: '10%' },
  replicate: { text: 'Remote targets that `freezeframe replicate` copies the backups to (each another site\'s target agent whose `target.replicaOf` names this deployment\'s target): the backups a remote lacks go oldest first, as incremental zfs/btrfs streams from the newest backup both hold.', example: '{ to: [{ name: offsite-target, address: 203.0.113.7:7450 }] }' },
  'replicate.to[]': { text: 'The remote targets, each with its name, address and optionally its own retention.', example: '[{ name: offsite-target, address: 203.0.113.7:7450, retention: { last: 30 } }]' },
  'replicate.to[].name': { text: "The remote target agent's certificate name (from the same CA); `restore --from NAME`, `list --target NAME` and `prune --target NAME` name it so. Not one of `nodes[]`.", example: 'offsite-target' },
  'replicate.to[].address': { text: "Its gRPC address, host:port; its data channel is on the port its agent reports.", example: '203.0.113.7:7450' },
  'replicate.to[].retention': { text: 'Which replicated backups the remote keeps (applied by `replicate` and `prune --target NAME`), in the form of `retention`; a remote often keeps longer. Not set: `retention`.', example: '{ last: 30, monthly: 24 }' },
  'replicate.to[].retention.last': { text: 'Keep this many newest backups on the remote.', example: '30' },
  'replicate.to[].retention.daily': { text: 'Also keep the newest backup of each of the last N days (0: none).', example: '30' },
  'replicate.to[].retention.weekly': { text: 'Also keep the newest backup of each of the last N ISO weeks (0: none).', example: '12' },
  'replicate.to[].retention.monthly': { text: 'Also keep the newest backup of each of the last N months (0: none).', example: '24' },
  'replicate.after': { text: '`backup`: every successful `backup` replicates right after it is tagged; a replication failure is then a warning of the backup (recorded, in its exit and metrics as a warning), not its failure. Not set: only `freezeframe replicate` (or its timer) replicates.', example: 'backup' },
  stateDir: { text: "Folder for the run records (`<stateDir>/runs/<id>.json`, read by `freezeframe show`); relative: against the inventory's folder; not set: `~/.local/state/freezeframe/<deployment>` (`$XDG_STATE_HOME` respected).", example: '/var/lib/freezeframe' },
};

/** Each config file's key texts, by the key paths config-doc.ts gives (`tls.key`, `source.kind=btrfs: volume`). */
export const CONFIG_KEY_TEXTS: Record<'agent' | 'inventory', Record<string, KeyText>> = { agent, inventory };
