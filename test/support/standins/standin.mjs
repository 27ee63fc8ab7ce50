// Stand-in for lvs, lvcreate, lvchange, lvremove, gluster, mount, umount and mountpoint on a
// machine without device-mapper or GlusterFS. Run as `standin.mjs <program> <state.json> args...`
// by the wrappers test/support/standins.ts writes. It accepts exactly the argv freezeframe's
// tools build and fails (exit 64, "stand-in: unexpected ...") on anything else, and keeps the
// state in the JSON file: an LV or a GlusterFS volume is a folder, a snapshot a copy of it, a
// mount a copy of the snapshot in the mount folder. `fail: { <program>: "stderr" }` in the
// state makes the next call of that program fail with that message (once).
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [prog, stateFile, ...args] = process.argv.slice(2);
// One stand-in at a time: each reads, changes and writes the whole state, and the agent runs
// them concurrently (Health's lvs beside a backup's lvcreate). mkdir is the atomic lock.
const lock = `${stateFile}.lock`;
for (const until = Date.now() + 10_000; ; ) {
  try {
    mkdirSync(lock);
    break;
  } catch (e) {
    if (e.code !== 'EEXIST' || Date.now() > until) throw e;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
}
process.on('exit', () => rmSync(lock, { recursive: true, force: true }));
const state = JSON.parse(readFileSync(stateFile, 'utf8'));
state.log ??= [];
state.log.push([prog, ...args]);
const save = () => {
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${stateFile}.tmp`, stateFile);
};
const die = (code, msg) => {
  save();
  process.stderr.write(msg.endsWith('\n') ? msg : `${msg}\n`);
  process.exit(code);
};
const unexpected = (what) => die(64, `stand-in: unexpected ${prog} ${what}: ${JSON.stringify(args)}`);
const expectArgs = (want) => {
  if (args.length !== want.length || want.some((w, i) => (w instanceof RegExp ? !w.test(args[i]) : w !== args[i]))) unexpected('argv');
};
if (state.fail?.[prog] !== undefined) {
  const msg = state.fail[prog];
  delete state.fail[prog];
  die(5, msg);
}

const LVS_FIELDS = 'lv_name,vg_name,lv_attr,lv_size,origin,pool_lv,data_percent,vg_free,lv_tags';
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,126}$/;
const lvKey = (s) => {
  const m = /^([^/]+)\/([^/]+)$/.exec(s ?? '');
  if (!m || !NAME.test(m[1]) || !NAME.test(m[2])) unexpected(`LV path ${s}`);
  return { vg: m[1], lv: m[2], key: `${m[1]}/${m[2]}` };
};
const needVg = (vg) => {
  if (!state.vgs?.[vg]) die(5, `  Volume group "${vg}" not found\n  Cannot process volume group ${vg}`);
  return state.vgs[vg];
};
const needLv = (key) => {
  needVg(key.split('/')[0]);
  if (!state.lvs?.[key]) die(5, `  Failed to find logical volume "${key}"`);
  return state.lvs[key];
};
const mounted = (dir) => state.mounts?.[dir] !== undefined;
const UNIT = { b: 1, s: 512, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

function lvs() {
  expectArgs(['--reportformat', 'json', '--units', 'b', '--nosuffix', '-o', LVS_FIELDS, '--', /^[^-]/]);
  const target = args[8];
  const [vg, lv] = target.split('/');
  const g = needVg(vg);
  if (lv !== undefined) needLv(target);
  const rows = Object.entries(state.lvs)
    .filter(([k]) => (lv === undefined ? k.startsWith(`${vg}/`) : k === target))
    .map(([k, v]) => {
      const name = k.split('/')[1];
      const type = v.isPool ? 't' : v.thin ? 'V' : v.origin ? 's' : Object.values(state.lvs).some((o) => o.origin === name && !o.thin) ? 'o' : '-';
      const attr = `${type}wi-${v.active === false ? '-' : 'a'}-----`;
      return {
        lv_name: name,
        vg_name: vg,
        lv_attr: attr,
        lv_size: String(v.sizeBytes),
        origin: v.origin ?? '',
        pool_lv: v.pool ?? '',
        data_percent: v.dataPercent === undefined ? '' : v.dataPercent.toFixed(2),
        vg_free: String(g.freeBytes),
        lv_tags: (v.tags ?? []).join(','),
      };
    });
  process.stdout.write(`  {\n      "report": [\n          {\n              "lv": [\n${rows.map((r) => `                  ${JSON.stringify(r)}`).join(',\n')}\n              ]\n          }\n      ]\n  }\n`);
}

function lvcreate() {
  // --snapshot --name N (--size S | --extents P | --setactivationskip n) --activate y [--addtag T]... -- vg/origin
  if (args[0] !== '--snapshot' || args[1] !== '--name' || !NAME.test(args[2] ?? '')) unexpected('argv');
  const room = args.slice(3, 5);
  if (!['--size', '--extents', '--setactivationskip'].includes(room[0])) unexpected('argv');
  if (room[0] === '--setactivationskip' && room[1] !== 'n') unexpected('argv');
  if (args[5] !== '--activate' || args[6] !== 'y') unexpected('argv');
  let i = 7;
  const tags = [];
  while (args[i] === '--addtag') {
    if (!/^[A-Za-z0-9_.:+-]+$/.test(args[i + 1] ?? '')) unexpected('tag');
    tags.push(args[i + 1]);
    i += 2;
  }
  if (args[i] !== '--' || args.length !== i + 2) unexpected('argv');
  const { vg, lv, key } = lvKey(args[i + 1]);
  const origin = needLv(key);
  const g = needVg(vg);
  const name = args[2];
  if (state.lvs[`${vg}/${name}`]) die(5, `  Logical Volume "${name}" already exists in volume group "${vg}"`);
  let bytes = 0;
  if (room[0] === '--size') {
    const m = /^(\d+(?:\.\d+)?)([bBsSkKmMgGtT]?)$/.exec(room[1]);
    if (!m) unexpected('size');
    bytes = Math.ceil(Number(m[1]) * UNIT[(m[2] || 'm').toLowerCase()]);
  } else if (room[0] === '--extents') {
    const m = /^(\d+)%(ORIGIN|VG|FREE|PVS)$/.exec(room[1]);
    if (!m) unexpected('extents');
    bytes = Math.ceil((Number(m[1]) / 100) * (m[2] === 'ORIGIN' ? origin.sizeBytes : g.freeBytes));
  } else if (!origin.thin) {
    die(3, `  Please specify either size or extents with snapshots.`);
  }
  if (bytes > g.freeBytes) die(5, `  Volume group "${vg}" has insufficient free space (${g.freeBytes} bytes): ${bytes} required.`);
  g.freeBytes -= bytes;
  const dir = join(state.root, 'lv', vg, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(origin.dir, dir, { recursive: true, preserveTimestamps: true });
  state.lvs[`${vg}/${name}`] = { dir, sizeBytes: bytes || origin.sizeBytes, origin: lv, thin: bytes === 0, ...(bytes === 0 ? { pool: origin.pool } : { dataPercent: 0 }), active: true, tags, fsType: origin.fsType, reserved: bytes };
  save();
  process.stdout.write(`  Logical volume "${name}" created.\n`);
}

function lvchange() {
  expectArgs(['--activate', 'y', '--ignoreactivationskip', '--', /\//]);
  const { key } = lvKey(args[4]);
  needLv(key).active = true;
  save();
}

function lvremove() {
  expectArgs(['--yes', '--', /\//]);
  const { vg, key } = lvKey(args[2]);
  const lv = needLv(key);
  if (!lv.origin) unexpected('removal of an LV that is not a snapshot');
  if (Object.values(state.mounts ?? {}).some((m) => m.source === `/dev/${key}`)) die(5, `  Logical volume ${key} contains a filesystem in use.`);
  state.vgs[vg].freeBytes += lv.reserved ?? 0;
  rmSync(lv.dir, { recursive: true, force: true });
  delete state.lvs[key];
  save();
  process.stdout.write(`  Logical volume "${key.split('/')[1]}" successfully removed.\n`);
}

const xml = (body) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n  <opRet>0</opRet>\n  <opErrno>0</opErrno>\n  <opErrstr/>\n${body}\n</cliOutput>\n`;
const xmlFail = (msg) => {
  process.stdout.write(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cliOutput>\n  <opRet>-1</opRet>\n  <opErrno>30800</opErrno>\n  <opErrstr>${msg}</opErrstr>\n</cliOutput>\n`);
  save();
  process.exit(1);
};

function gluster() {
  if (args[0] !== '--mode=script' || args[1] !== '--xml') unexpected('argv (needs --mode=script --xml first)');
  const [group, verb, a, b, c, ...rest] = args.slice(2);
  const g = (state.gluster ??= { volumes: {}, snaps: {} });
  const NAMES = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
  const needSnap = (n) => {
    if (!NAMES.test(n ?? '')) unexpected('snapshot name');
    if (!g.snaps[n]) xmlFail(`Snapshot (${n}) does not exist`);
    return g.snaps[n];
  };
  const count = args.length - 2;
  if (group === 'volume' && verb === 'info' && count === 3) {
    const v = g.volumes[a];
    if (!v) xmlFail(`Volume ${a} does not exist`);
    process.stdout.write(xml(`  <volInfo>\n    <volumes>\n      <volume>\n        <name>${a}</name>\n        <id>6f4d0c55-6a1e-4c41-9bd5-2f0c1b0f4f10</id>\n        <status>1</status>\n        <statusStr>${v.status}</statusStr>\n        <snapshotCount>${Object.values(g.snaps).filter((s) => s.volume === a).length}</snapshotCount>\n        <brickCount>2</brickCount>\n        <type>2</type>\n        <typeStr>Replicate</typeStr>\n      </volume>\n      <count>1</count>\n    </volumes>\n  </volInfo>`));
  } else if (group === 'snapshot' && verb === 'create' && count === 5 && c === 'no-timestamp') {
    if (!NAMES.test(a ?? '')) unexpected('snapshot name');
    const v = g.volumes[b];
    if (!v) xmlFail(`Volume (${b}) does not exist`);
    if (g.snaps[a]) xmlFail(`Snapshot ${a} already exists`);
    const dir = join(state.root, 'gluster-snaps', a);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(v.dir, dir, { recursive: true, preserveTimestamps: true });
    g.snaps[a] = { volume: b, dir, status: 'Stopped', uuid: '1b0f4a3e-7c55-4b0e-9a0c-3a2d4c5e6f70', createTime: new Date().toISOString().replace('T', ' ').slice(0, 19) };
    save();
    process.stdout.write(xml(`  <snapCreate>\n    <snapshot>\n      <name>${a}</name>\n      <uuid>${g.snaps[a].uuid}</uuid>\n    </snapshot>\n  </snapCreate>`));
  } else if (group === 'snapshot' && (verb === 'activate' || verb === 'deactivate') && count === 3) {
    const s = needSnap(a);
    if (verb === 'activate' && s.status === 'Started') xmlFail(`Snapshot ${a} is already activated.`);
    if (verb === 'deactivate' && s.status !== 'Started') xmlFail(`Snapshot (${a}) is not activated`);
    if (verb === 'deactivate' && Object.values(state.mounts ?? {}).some((m) => m.source.includes(`/snaps/${a}/`))) unexpected('deactivate of a mounted snapshot');
    s.status = verb === 'activate' ? 'Started' : 'Stopped';
    save();
    process.stdout.write(xml(`  <snap${verb === 'activate' ? 'Activate' : 'Deactivate'}>\n    <snapshot>\n      <name>${a}</name>\n    </snapshot>\n  </snap${verb === 'activate' ? 'Activate' : 'Deactivate'}>`));
  } else if (group === 'snapshot' && verb === 'delete' && count === 3) {
    const s = needSnap(a);
    if (s.status === 'Started') unexpected('delete of an activated snapshot (freezeframe deactivates first)');
    rmSync(s.dir, { recursive: true, force: true });
    delete g.snaps[a];
    save();
    process.stdout.write(xml(`  <snapDelete>\n    <snapshot>\n      <status>0</status>\n      <name>${a}</name>\n    </snapshot>\n  </snapDelete>`));
  } else if (group === 'snapshot' && verb === 'list' && count === 3) {
    if (!g.volumes[a]) xmlFail(`Volume (${a}) does not exist`);
    const names = Object.entries(g.snaps).filter(([, s]) => s.volume === a).map(([n]) => n);
    process.stdout.write(xml(`  <snapList>\n    <count>${names.length}</count>\n${names.map((n) => `    <snapshot>${n}</snapshot>`).join('\n')}\n  </snapList>`));
  } else if (group === 'snapshot' && verb === 'info' && count === 3) {
    const s = needSnap(a);
    process.stdout.write(xml(`  <snapInfo>\n    <count>1</count>\n    <snapshots>\n      <snapshot>\n        <name>${a}</name>\n        <uuid>${s.uuid}</uuid>\n        <description/>\n        <createTime>${s.createTime}</createTime>\n        <volCount>1</volCount>\n        <snapVolume>\n          <name>0f1e2d3c4b5a69788796a5b4c3d2e1f0</name>\n          <status>${s.status}</status>\n          <originVolume>\n            <name>${s.volume}</name>\n            <snapCount>1</snapCount>\n            <snapRemaining>255</snapRemaining>\n          </originVolume>\n        </snapVolume>\n      </snapshot>\n    </snapshots>\n  </snapInfo>`));
  } else {
    void rest;
    unexpected('command');
  }
}

function mount() {
  // [-t type] -o ro[,opts] -- source dir
  let i = 0;
  let fsType;
  if (args[0] === '-t') {
    fsType = args[1];
    i = 2;
  }
  if (args[i] !== '-o' || args[i + 2] !== '--' || args.length !== i + 5) unexpected('argv');
  const options = args[i + 1].split(',');
  if (options[0] !== 'ro') unexpected('options (must be read-only)');
  const [source, dir] = [args[i + 3], args[i + 4]];
  if (!dir.startsWith('/') || !existsSync(dir) || !statSync(dir).isDirectory()) die(32, `mount: ${dir}: mount point does not exist.`);
  if (mounted(dir)) die(32, `mount: ${dir}: ${source} already mounted on ${dir}.`);
  let from;
  if (source.startsWith('/dev/')) {
    const key = source.slice('/dev/'.length);
    const lv = state.lvs?.[key];
    if (!lv || !lv.active) die(32, `mount: ${dir}: special device ${source} does not exist.`);
    if (fsType !== undefined && fsType !== lv.fsType) die(32, `mount: ${dir}: wrong fs type, bad option, bad superblock on ${source}, missing codepage or helper program, or other error.`);
    // the snapshot has its origin's XFS UUID, which is mounted already
    if (lv.fsType === 'xfs' && !options.includes('nouuid')) die(32, `mount: ${dir}: wrong fs type, bad option, bad superblock on ${source}, missing codepage or helper program, or other error.`);
    if (options.slice(1).some((o) => o !== 'nouuid')) unexpected('option');
    from = lv.dir;
  } else {
    const m = /^([A-Za-z0-9.-]+):\/snaps\/([A-Za-z0-9_-]+)\/([A-Za-z0-9_-]+)$/.exec(source);
    if (!m || fsType !== 'glusterfs' || options.length !== 1) unexpected('gluster mount');
    const s = state.gluster?.snaps?.[m[2]];
    if (!s || s.status !== 'Started' || s.volume !== m[3]) die(32, `Mount failed. Check the log file  for more details.`);
    from = s.dir;
  }
  if (readdirSync(dir).length > 0) unexpected(`mount on a non-empty folder ${dir}`);
  cpSync(from, dir, { recursive: true, preserveTimestamps: true });
  (state.mounts ??= {})[dir] = { source, fsType: fsType ?? null, options };
  save();
}

function umount() {
  expectArgs(['--', /^\//]);
  const dir = args[1];
  if (!mounted(dir)) die(32, `umount: ${dir}: not mounted.`);
  for (const n of readdirSync(dir)) rmSync(join(dir, n), { recursive: true, force: true });
  delete state.mounts[dir];
  save();
}

function mountpoint() {
  expectArgs(['-q', '--', /^\//]);
  save();
  process.exit(mounted(args[2]) ? 0 : 32);
}

const handlers = { lvs, lvcreate, lvchange, lvremove, gluster, mount, umount, mountpoint };
if (!handlers[prog]) die(64, `stand-in: no program ${prog}`);
handlers[prog]();
save();
