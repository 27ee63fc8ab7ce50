import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Stand-ins for `nodetool` and `systemctl` (no Cassandra can run here): small Node programs
 * that append their argv to `<root>/calls.log` (one JSON line each) and change the real on-disk
 * layout as Cassandra would: snapshot hard-links every live sstable into
 * `snapshots/<tag>/` (with manifest.json and schema.cql), clearsnapshot removes them, flush
 * writes a new sstable generation for each table named in `<root>/pending-writes`.
 * The node's state lives in `<root>/cassandra-state`: running | stopped | starting:N (status fails N times).
 * stop and start record the live files they saw, so a test can prove what happened before each.
 */
export interface FakeCassandra {
  nodetool: string;
  systemctl: string;
  callsFile: string;
  stateFile: string;
  pendingFile: string;
}

const COMMON = (root: string, dataDir: string, commitlogDir: string) => `
const fs = require('node:fs');
const path = require('node:path');
const ROOT = ${JSON.stringify(root)};
const DATA = ${JSON.stringify(dataDir)};
const COMMITLOG = ${JSON.stringify(commitlogDir)};
const STATE = path.join(ROOT, 'cassandra-state');
const argv = process.argv.slice(2);
fs.appendFileSync(path.join(ROOT, 'calls.log'), JSON.stringify({ prog: path.basename(process.argv[1]), argv }) + '\\n');
const state = () => { try { return fs.readFileSync(STATE, 'utf8').trim(); } catch { return 'running'; } };
const setState = (s) => fs.writeFileSync(STATE, s + '\\n');
const ls = (d) => { try { return fs.readdirSync(d).sort(); } catch { return []; } };
const tableDirs = (ks) => ls(path.join(DATA, ks)).filter((n) => /-[0-9a-f]{32}$/.test(n)).map((n) => path.join(DATA, ks, n));
const liveFiles = () => {
  const out = [];
  for (const ks of ls(DATA)) for (const t of tableDirs(ks)) {
    for (const f of ls(t)) { const p = path.join(t, f); if (fs.statSync(p).isFile()) out.push(path.relative(DATA, p)); }
    for (const f of ls(t).filter((x) => x.startsWith('.'))) for (const g of ls(path.join(t, f))) out.push(path.relative(DATA, path.join(t, f, g)));
  }
  return out;
};
`;

export function writeFakeCassandra(root: string, dataDir: string, commitlogDir: string): FakeCassandra {
  const nodetool = join(root, 'nodetool');
  const systemctl = join(root, 'systemctl');
  writeFileSync(
    nodetool,
    `#!/usr/bin/node\n${COMMON(root, dataDir, commitlogDir)}
const cmd = argv[0];
let s = state();
const down = () => { process.stderr.write("nodetool: Failed to connect to '127.0.0.1:7199' - ConnectException: 'Connection refused (Connection refused)'.\\n"); process.exit(1); };
if (cmd === 'status') {
  if (s.startsWith('starting:')) {
    const n = Number(s.split(':')[1]);
    if (n > 0) { setState('starting:' + (n - 1)); down(); }
    setState('running'); s = 'running';
  }
  if (s !== 'running') down();
  process.stdout.write('Datacenter: dc1\\n=======================\\nStatus=Up/Down\\n--  Address    Load  Tokens  Owns  Host ID  Rack\\nUN  127.0.0.1  1 MiB  16  100.0%  x  rack1\\n');
  process.exit(0);
}
if (s !== 'running') down();
const arg = (flag) => { const i = argv.indexOf(flag); return i < 0 ? undefined : argv[i + 1]; };
if (cmd === 'flush') {
  let pending = [];
  try { pending = fs.readFileSync(path.join(ROOT, 'pending-writes'), 'utf8').split('\\n').filter(Boolean); } catch {}
  for (const kt of pending) {
    const [ks, table] = kt.split('.');
    const dir = tableDirs(ks).find((d) => path.basename(d).startsWith(table + '-'));
    const gens = ls(dir).map((f) => /^nb-(\\d+)-big-/.exec(f)).filter(Boolean).map((m) => Number(m[1]));
    const g = Math.max(0, ...gens) + 1;
    fs.writeFileSync(path.join(dir, 'nb-' + g + '-big-Data.db'), 'flushed memtable of ' + kt + '\\n');
    fs.writeFileSync(path.join(dir, 'nb-' + g + '-big-TOC.txt'), 'Data.db\\nTOC.txt\\n');
  }
  fs.rmSync(path.join(ROOT, 'pending-writes'), { force: true });
} else if (cmd === 'snapshot') {
  const tag = arg('-t');
  const kss = argv.slice(3);
  // only the live table (the newest folder of each name; older ones belong to dropped tables) is in the schema
  const live = (ks) => { const by = new Map(); for (const d of tableDirs(ks)) { const n = path.basename(d).replace(/-[0-9a-f]{32}$/, ''); const o = by.get(n); if (!o || fs.statSync(d).mtimeMs > fs.statSync(o).mtimeMs) by.set(n, d); } return [...by.values()]; };
  for (const ks of kss) for (const t of live(ks)) {
    const snap = path.join(t, 'snapshots', tag);
    if (fs.existsSync(snap)) { process.stderr.write('error: Snapshot ' + tag + ' already exists.\\n'); process.exit(2); }
    fs.mkdirSync(snap, { recursive: true });
    const files = [];
    for (const f of ls(t)) { const p = path.join(t, f); if (fs.statSync(p).isFile()) { fs.linkSync(p, path.join(snap, f)); files.push(f); } }
    for (const idx of ls(t).filter((x) => x.startsWith('.'))) {
      fs.mkdirSync(path.join(snap, idx));
      for (const f of ls(path.join(t, idx))) { fs.linkSync(path.join(t, idx, f), path.join(snap, idx, f)); files.push(idx + '/' + f); }
    }
    fs.writeFileSync(path.join(snap, 'manifest.json'), JSON.stringify({ files }));
    fs.writeFileSync(path.join(snap, 'schema.cql'), 'CREATE TABLE IF NOT EXISTS ' + ks + '.' + path.basename(t).replace(/-[0-9a-f]{32}$/, '') + ' (id int PRIMARY KEY);\\n');
  }
  process.stdout.write('Requested creating snapshot(s) for [' + kss.join(', ') + '] with snapshot name [' + tag + ']\\n');
} else if (cmd === 'clearsnapshot') {
  const tag = arg('-t');
  for (const ks of ls(DATA)) for (const t of tableDirs(ks)) fs.rmSync(path.join(t, 'snapshots', tag), { recursive: true, force: true });
} else if (cmd === 'drain' || cmd === 'repair') {
  process.stdout.write(cmd + ' ok\\n');
} else {
  process.stderr.write('nodetool: unknown command ' + cmd + '\\n'); process.exit(1);
}
`,
  );
  writeFileSync(
    systemctl,
    `#!/usr/bin/node\n${COMMON(root, dataDir, commitlogDir)}
const [cmd, unit] = argv;
if (unit !== 'cassandra.service') { process.stderr.write('Unit ' + unit + ' not found.\\n'); process.exit(4); }
const s = state();
if (cmd === 'is-active') { const on = s === 'running' || s.startsWith('starting'); process.stdout.write(on ? 'active\\n' : 'inactive\\n'); process.exit(on ? 0 : 3); }
if (cmd === 'stop') {
  fs.writeFileSync(path.join(ROOT, 'seen-at-stop.json'), JSON.stringify({ live: liveFiles(), commitlog: ls(COMMITLOG) }));
  setState('stopped');
} else if (cmd === 'start') {
  fs.writeFileSync(path.join(ROOT, 'seen-at-start.json'), JSON.stringify({ live: liveFiles(), commitlog: ls(COMMITLOG) }));
  // Cassandra takes a while to answer after a start, and writes a fresh commit log segment
  setState('starting:2');
  fs.writeFileSync(path.join(COMMITLOG, 'CommitLog-7-999.log'), '');
} else { process.stderr.write('unknown verb ' + cmd + '\\n'); process.exit(1); }
`,
  );
  chmodSync(nodetool, 0o755);
  chmodSync(systemctl, 0o755);
  return { nodetool, systemctl, callsFile: join(root, 'calls.log'), stateFile: join(root, 'cassandra-state'), pendingFile: join(root, 'pending-writes') };
}

/**
 * The calls a keyspace restore makes from the drain on, in order, for the stand-ins above:
 * stop the service, start it, `nodetool status` until it answers (the stand-in fails the first
 * two after a start), then one repair per keyspace.
 */
export function keyspaceRestoreCalls(keyspaces: readonly string[]): string[] {
  return [
    'nodetool drain',
    'systemctl is-active cassandra.service',
    'systemctl stop cassandra.service',
    'systemctl is-active cassandra.service',
    'systemctl start cassandra.service',
    'nodetool status', 'nodetool status', 'nodetool status',
    ...keyspaces.map((k) => `nodetool repair ${k}`),
  ];
}
