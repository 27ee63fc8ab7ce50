import { chmodSync, chownSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '@freezeframe/director/cli/program.js';
import { attachAgentLogs, startAgent, stopAgent, writeAgentConfig, type TestAgent } from './support/agents.js';
import { writeFakeCassandra, type FakeCassandra } from './support/fake-cassandra.js';
import { makePki } from './support/pki.js';
import { needsRoot } from './support/privileges.js';
import { treeEntries } from './support/treesum.js';
import { claim } from './support/claim.js';

await claim();

// docs/security.md, "A compromised application user": the agent runs as root, and the Cassandra user owns the data
// tree. A link planted there (a table folder, `snapshots/<id>`, an index folder, the commit
// log folder, an sstable) must never make the agent read, delete, create or chown anything
// outside that tree. Each attack runs against a real cassandra-source agent and a dir target
// on loopback, with the fake nodetool of app-cassandra.test.ts; the Cassandra user's moves
// are made by a nodetool wrapper (right after the snapshot, as a racing user would) or by the
// test before a restore. Every attack must be refused naming the link, and the files outside
// must be exactly as they were.

const skip = needsRoot('root-owned files the Cassandra user must not reach');

const U1 = '0123456789abcdef0123456789abcdef';
const U2 = '11111111111111111111111111111111';
const CASS_UID = 4243;
const SECRET = 'TOP SECRET root-only\n';

describe.skipIf(skip)('security: Cassandra-owned links never redirect the root agent', () => {
  let root: string;
  let fake: FakeCassandra;
  const agents: TestAgent[] = [];
  let inventory: string;
  const home = () => join(root, 'var-lib-cassandra'); // owned by the Cassandra user, as on a real node
  const data = () => join(home(), 'data');
  const commitlog = () => join(home(), 'commitlog');
  const staging = () => join(home(), 'staging');
  const backups = () => join(root, 'tgt', 'backups');
  const users = () => join(data(), 'ks1', `users-${U1}`);
  const events = () => join(data(), 'ks1', `events-${U2}`);
  /** Root-only files the Cassandra user wants: read, deleted, overwritten or chowned. */
  const victim = () => join(root, 'victim');
  const secretDir = () => join(root, 'secret');
  /** What the nodetool wrapper does right after `nodetool snapshot`: [link, target], `<tag>` replaced by the snapshot's tag. */
  const planFile = () => join(root, 'after-snapshot.json');

  const asCassandra = (p: string) => lchownSync(p, CASS_UID, CASS_UID);
  const put = (file: string, content: string) => {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    asCassandra(file);
  };
  const sstable = (dir: string, gen: number, what: string) => {
    put(join(dir, `nb-${gen}-big-Data.db`), `${what} data ${gen}\n`);
    put(join(dir, `nb-${gen}-big-TOC.txt`), 'Data.db\nTOC.txt\n');
  };
  /** Replaces `path` by a link to `target` made by the Cassandra user; returns the undo. */
  const plantLink = (path: string, target: string) => {
    renameSync(path, `${path}.moved`);
    symlinkSync(target, path);
    asCassandra(path);
    return () => {
      rmSync(path);
      renameSync(`${path}.moved`, path);
    };
  };
  const calls = () =>
    readFileSync(fake.callsFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { prog: string; argv: string[] })
      .map((c) => `${c.prog} ${c.argv.join(' ')}`);
  /** Every file under `dir` whose content is the secret (a copy or a link of it). */
  const secretCopies = (dir: string): string[] =>
    existsSync(dir) ? treeEntries(dir).filter((e) => e.type === 'file' && readFileSync(join(dir, e.path), 'utf8') === SECRET).map((e) => e.path) : [];
  const outside = () => ({ victim: treeEntries(victim()), secret: treeEntries(secretDir()) });

  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(['node', 'freezeframe', '-i', inventory, ...args], {
      stdout: { write: (s: string) => void (out += s) },
      stderr: { write: (s: string) => void (err += s) },
      env: {},
    });
    return { code, out, err };
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-seccass-'));
    const pki = await makePki(join(root, 'pki'), ['director', 'cass-1', 'tgt']);
    mkdirSync(backups(), { recursive: true });
    for (const d of [home(), data(), join(data(), 'ks1'), commitlog()]) {
      mkdirSync(d, { recursive: true });
      asCassandra(d);
    }
    sstable(users(), 1, 'users');
    put(join(users(), '.users_email_idx', 'nb-1-big-Data.db'), 'email index 1\n');
    asCassandra(join(users(), '.users_email_idx'));
    sstable(events(), 1, 'events');
    for (const d of [users(), events()]) asCassandra(d);
    put(join(commitlog(), 'CommitLog-7-1.log'), 'segment\n');

    mkdirSync(join(victim(), 'sub'), { recursive: true, mode: 0o700 });
    writeFileSync(join(victim(), 'keep.conf'), 'operator config\n', { mode: 0o600 });
    writeFileSync(join(victim(), 'sub', 'deep.conf'), 'deeper config\n', { mode: 0o600 });
    mkdirSync(secretDir(), { mode: 0o700 });
    writeFileSync(join(secretDir(), 'shadow'), SECRET, { mode: 0o600 });

    fake = writeFakeCassandra(root, data(), commitlog());
    writeFileSync(fake.stateFile, 'running\n');
    const nodetool = join(root, 'nodetool-racing');
    writeFileSync(
      nodetool,
      `#!/usr/bin/node
const fs = require('node:fs');
const r = require('node:child_process').spawnSync(${JSON.stringify(fake.nodetool)}, process.argv.slice(2), { stdio: 'inherit' });
if (r.status === 0 && process.argv[2] === 'snapshot') {
  const tag = process.argv[process.argv.indexOf('-t') + 1];
  let plan = [];
  try { plan = JSON.parse(fs.readFileSync(${JSON.stringify(planFile())}, 'utf8')); } catch {}
  for (const [link, target] of plan) {
    const l = link.replaceAll('<tag>', tag);
    fs.renameSync(l, l + '.moved');
    fs.symlinkSync(target, l);
    fs.lchownSync(l, ${CASS_UID}, ${CASS_UID});
  }
}
process.exit(r.status ?? 1);
`,
    );
    chmodSync(nodetool, 0o755);
    const cassConf = writeAgentConfig(
      root,
      pki,
      'cass-1',
      `allowRestore: true\nsource:\n  kind: cassandra\n  keyspaces: [ks1]\n  nodetool: ${nodetool}\n  dataDir: ${data()}\n  commitlogDir: ${commitlog()}\n` +
        `  stagingDir: ${staging()}\n  service: { unit: cassandra.service, systemctl: ${fake.systemctl} }\n  pollInterval: 100ms\n  startTimeout: 20s\n`,
    );
    const tgtConf = writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${backups()} }\n`);
    agents.push(...(await Promise.all([startAgent('cass-1', cassConf), startAgent('tgt', tgtConf)])));
    const d = pki.files('director');
    inventory = join(root, 'inventory.yaml');
    writeFileSync(
      inventory,
      `deployment: seccass\ntls: { ca: ${d.ca}, cert: ${d.cert}, key: ${d.key} }\nstateDir: ${join(root, 'state')}\nnodes:\n` +
        agents.map((a) => `  - { name: ${a.name}, address: 127.0.0.1:${a.port} }\n`).join('') +
        'freeze: { lease: 10s }\n',
    );
  });

  afterAll(async () => {
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A backup with the Cassandra user's moves from `plan` right after the snapshot; it must fail naming `named`. */
  async function refusedBackup(plan: Array<[string, string]>, named: RegExp): Promise<void> {
    attachAgentLogs(agents);
    const before = outside();
    writeFileSync(planFile(), JSON.stringify(plan));
    try {
      const r = await cli('backup');
      expect(r.code, r.out + r.err).toBe(1);
      expect(r.err).toMatch(named);
      expect(r.err).toMatch(/symbolic link/);
    } finally {
      writeFileSync(planFile(), '[]');
      // the wrapper moved the real folder or file aside; nodetool clearsnapshot removed the link
      for (const [link] of plan) {
        const parent = join(link, '..').replaceAll('<tag>', '');
        if (!existsSync(parent)) continue;
        for (const n of readdirSync(parent)) if (n.endsWith('.moved')) rmSync(join(parent, n), { recursive: true, force: true });
      }
    }
    expect(outside()).toEqual(before);
    expect(secretCopies(backups())).toEqual([]);
    expect(secretCopies(staging())).toEqual([]);
  }

  it('backup: snapshots/<id> replaced by a link to a root-only folder is refused; nothing of it reaches the backup', async () => {
    await refusedBackup([[join(users(), 'snapshots', '<tag>'), secretDir()]], new RegExp(`users-${U1}/snapshots/\\d{8}_\\d{6}\\S* is a symbolic link`));
  });

  it('backup: an sstable of the snapshot replaced by a link to a root-only file is refused', async () => {
    await refusedBackup([[join(users(), 'snapshots', '<tag>', 'nb-1-big-Data.db'), join(secretDir(), 'shadow')]], /nb-1-big-Data\.db is a symbolic link/);
  });

  let good = '';
  it('an untouched tree backs up (the baseline the restore attacks start from)', async () => {
    attachAgentLogs(agents);
    const r = await cli('backup', '--json');
    expect(r.code, r.err + r.out).toBe(0);
    good = (JSON.parse(r.out) as { backupId: string }).backupId;
  });

  /** restore-keyspace of the good backup: refused naming `named`, before Cassandra is stopped, nothing outside changed. */
  async function refusedRestore(named: RegExp): Promise<void> {
    attachAgentLogs(agents);
    expect(good).not.toBe('');
    const before = outside();
    writeFileSync(fake.callsFile, '');
    const r = await cli('restore-keyspace', '--node', 'cass-1', '--keyspace', 'ks1', good);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toMatch(named);
    expect(r.err).toMatch(/symbolic link/);
    expect(calls()).not.toContain('systemctl stop cassandra.service');
    expect(readFileSync(fake.stateFile, 'utf8').trim()).toBe('running');
    expect(outside()).toEqual(before);
    expect(lstatSync(join(secretDir(), 'shadow')).uid).toBe(0);
  }

  it('restore-keyspace: a table folder replaced by a link to another folder is refused; that folder keeps every file', async () => {
    const undo = plantLink(users(), victim());
    try {
      await refusedRestore(new RegExp(`ks1/users-${U1} is a symbolic link`));
    } finally {
      undo();
    }
  });

  it('restore-keyspace: the commit-log folder replaced by a link is refused; the linked folder keeps every file', async () => {
    const undo = plantLink(commitlog(), victim());
    try {
      await refusedRestore(/commitlog is a symbolic link/);
    } finally {
      undo();
    }
  });

  it('restore-keyspace: an index folder replaced by a link is refused; nothing is placed in or chowned through it', async () => {
    const undo = plantLink(join(users(), '.users_email_idx'), victim());
    try {
      await refusedRestore(/\.users_email_idx is a symbolic link/);
    } finally {
      undo();
    }
  });

  it('restore-keyspace: a live sstable that is a link to a root-only file is refused; the file keeps its owner', async () => {
    const link = join(users(), 'nb-1-big-Index.db');
    symlinkSync(join(secretDir(), 'shadow'), link);
    asCassandra(link);
    try {
      await refusedRestore(/nb-1-big-Index\.db is a symbolic link/);
    } finally {
      rmSync(link);
    }
  });

  it('after the refusals, the same restore runs and owns only what it placed', async () => {
    attachAgentLogs(agents);
    const before = outside();
    const r = await cli('restore-keyspace', '--node', 'cass-1', '--keyspace', 'ks1', good);
    expect(r.code, r.out + r.err).toBe(0);
    expect(lstatSync(join(users(), 'nb-1-big-Data.db')).uid).toBe(CASS_UID);
    expect(lstatSync(join(users(), '.users_email_idx', 'nb-1-big-Data.db')).uid).toBe(CASS_UID);
    expect(outside()).toEqual(before);
  });
});
