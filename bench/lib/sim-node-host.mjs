// One process hosting many simulated nodes (forked by sim-nodes.mjs): per node a gRPC server
// with its own certificate on its own loopback address, mutual TLS required, answering the
// calls a backup makes up to thaw (and the clean-up after it) the way an agent would,
// without doing the work: no freezer, no snapshot, no disk.
// Messages: {start: {caPem, nodes: [{name, ip, role, legacy, cert, key}]}} -> {ready: [{name, address}]};
// {calls: true} -> {calls: {name: [rpc, ...]}}; {peers: true} -> {peers: {name: [ip:port, ...]}};
// {stop: true} -> exits.
import * as grpc from '@grpc/grpc-js';
import { VERSION, certIdentity, entryName, loadProto } from '@freezeframe/common';

const VOLUME = '/srv/data';
const FEATURES = ['restore-paths', 'restore-to-dir', 'restore-into-entry'];
const servers = [];
const log = new Map();
/** Per node, the client addresses (ip:port) calls came from: one per connection. */
const peers = new Map();

function simNode(n) {
  const calls = [];
  log.set(n.name, calls);
  const from = new Set();
  peers.set(n.name, from);
  const isTarget = n.role === 'target';
  const roles = isTarget ? ['target'] : ['source', 'freeze'];
  const entry = entryName(n.name, VOLUME);
  const frozen = new Set();
  let lock;
  const source = { kind: 'btrfs', volume: VOLUME, entry, point_in_time: true, free_bytes: String(400e9), name: '' };
  const checks = () => [
    { name: 'rsync', ok: true, detail: 'rsync 3.2.7', application: false },
    { name: 'runDir', ok: true, detail: '/var/lib/freezeframe writable', application: false },
    isTarget ? { name: 'target-space', ok: true, detail: 'zfs: 1.0 TB free', application: false } : { name: 'source-space', ok: true, detail: `${VOLUME}: 400 GB free`, application: false },
  ];
  const health = () => ({
    name: n.name,
    version: VERSION,
    roles,
    ok: true,
    problems: [],
    target_locked_by: lock?.backupId ?? '',
    target_locked_since: lock ? new Date(lock.since).toISOString() : '',
    target_lock_purpose: lock?.purpose ?? '',
    target_lock_expires_unix_ms: lock ? String(lock.expires) : '0',
    time_unix_ms: String(Date.now()),
    frozen: [...frozen],
    checks: checks(),
    services: [],
    services_stopped: [],
    warnings: [],
  });
  const describe = () => ({
    name: n.name,
    version: VERSION,
    roles,
    data_port: 7444,
    rsync_version: '3.2.7',
    features: FEATURES,
    receive_failures: [],
    ...(isTarget ? { target: { kind: 'zfs', free_bytes: String(1e12), limits: [] } } : { source, sources: [source], freeze: { kind: 'cgroup' } }),
  });
  const impl = {
    Health: () => health(),
    // an agent from before DescribeRequest.with_health (n.legacy) ignores it
    Describe: (r) => ({ ...describe(), ...(r.with_health && !n.legacy ? { health: health() } : {}) }),
    LockTarget: (r) => {
      const renewed = lock?.backupId === r.backup_id && lock?.holder === r.holder;
      if (lock && !renewed && lock.expires > Date.now() && !r.takeover) throw Object.assign(new Error(`target locked by ${lock.backupId}`), { code: grpc.status.FAILED_PRECONDITION });
      const since = renewed ? lock.since : Date.now();
      lock = { backupId: r.backup_id, holder: r.holder, purpose: r.purpose, since, expires: Date.now() + Number(r.lease_ms) };
      return { since_unix_ms: String(since), expires_unix_ms: String(lock.expires), renewed, taken_over_from: '' };
    },
    UnlockTarget: (r) => {
      const unlocked = lock?.backupId === r.backup_id && lock?.holder === r.holder;
      if (unlocked) lock = undefined;
      return { unlocked };
    },
    ListBackups: () => ({ backups: [] }),
    Cleanup: () => ({ removed: [], problems: [] }),
    Freeze: (r) => {
      const renewed = frozen.has(r.backup_id);
      frozen.add(r.backup_id);
      const t = Date.now();
      return { frozen: ['cgroup app'], paused_at_unix_ms: String(t), lease_expires_unix_ms: String(t + Number(r.lease_ms)), renewed };
    },
    Thaw: (r) => {
      const was = frozen.delete(r.backup_id);
      return { thawed: was ? ['cgroup app'] : [], thawed_at_unix_ms: String(Date.now()), was_frozen: was };
    },
    PrepareSnapshot: (r) => ({ entry: r.entry || entry, duration_ms: '1', taken_at_unix_ms: String(Date.now()) }),
    RemoveSnapshot: () => ({ removed: true }),
  };
  const handlers = {};
  for (const [rpc, fn] of Object.entries(impl)) {
    handlers[rpc] = (call, cb) => {
      // as the agent: the caller's certificate must name an authorized director
      if (certIdentity(call.getAuthContext().sslPeerCertificate) !== 'director') {
        cb({ code: grpc.status.PERMISSION_DENIED, details: 'not an authorized director' });
        return;
      }
      calls.push(rpc);
      from.add(call.getPeer());
      try {
        cb(null, fn(call.request));
      } catch (e) {
        cb({ code: e.code ?? grpc.status.INTERNAL, details: e.message });
      }
    };
  }
  const server = new grpc.Server({ 'grpc.keepalive_time_ms': 15_000, 'grpc.keepalive_timeout_ms': 10_000 });
  server.addService(loadProto().freezeframe.v1.Agent.service, handlers);
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.bindAsync(`${n.ip}:0`, grpc.ServerCredentials.createSsl(Buffer.from(n.caPem), [{ private_key: Buffer.from(n.key), cert_chain: Buffer.from(n.cert) }], true), (err, port) =>
      err ? reject(err) : resolve({ name: n.name, address: `${n.ip}:${port}` }),
    );
  });
}

process.on('message', async (m) => {
  if (m.start) {
    try {
      const ready = await Promise.all(m.start.nodes.map((n) => simNode({ ...n, caPem: m.start.caPem })));
      process.send({ ready });
    } catch (e) {
      process.send({ error: String(e.stack ?? e) });
    }
  } else if (m.calls) {
    process.send({ calls: Object.fromEntries(log) });
  } else if (m.peers) {
    process.send({ peers: Object.fromEntries([...peers].map(([k, v]) => [k, [...v]])) });
  } else if (m.stop) {
    for (const s of servers) s.forceShutdown();
    process.exit(0);
  }
});
// the parent gone (killed bench, failed test): no orphans left listening
process.on('disconnect', () => process.exit(0));
