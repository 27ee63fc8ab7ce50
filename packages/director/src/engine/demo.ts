import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage, loadInventory, type AgentConfig } from '@freezeframe/common';
import { certsInit, certsIssue } from './certs.js';
import { captureTree, compareTrees, makeSampleTree, mutateTree, treeDigest, wipeTree, type TreeDiff, type TreeState } from './demo-data.js';
import { startAgent, stopAgent, type RunningAgent } from './demo-agents.js';
import { backup } from './backup.js';
import { asFfError } from './core/phases.js';
import type { EventSink } from './core/types.js';
import { restore } from './restore.js';

// `freezeframe demo`: a whole deployment on this machine, no root. Three plain-directory
// sources (each also a freeze host of kind `none`), one hard-linked `dir` target, all real
// agents over mutual TLS. Backs up, changes data, backs up again, wipes, restores the first
// backup and proves it is exactly what was there.

const SOURCES = ['app-1', 'app-2', 'db-1'] as const;
const TARGET = 'backup-target';
const FILES_PER_SOURCE = 1000;

export interface DemoOptions {
  keep?: boolean;
  /** Parent of the temp folder (default: the OS temp folder). */
  baseDir?: string;
  onEvent?: EventSink;
  /** Human-readable step lines ("starting agents", ...). */
  onStep?: (line: string) => void;
}

export interface DemoBackup {
  id: string;
  files: number;
  bytesTotal: number;
  /** What rsync actually sent: the incremental part. */
  bytesTransferred: number;
  durationMs: number;
  freezeWindowMs?: number;
  phases: Record<string, number>;
}

export interface DemoSummary {
  ok: boolean;
  dir: string;
  kept: boolean;
  agents: Array<{ name: string; port: number; dataPort: number; roles: string }>;
  sample: { sources: number; entries: number; bytes: number; digest: string };
  backups: DemoBackup[];
  changes?: { modified: number; added: number; deleted: number };
  restore?: { backupId: string; sources: string[]; bytesTotal: number; bytesTransferred: number; durationMs: number; phases: Record<string, number> };
  verification?: { ok: boolean; checked: number; bytes: number; differences: string[] };
  steps: Array<{ step: string; durationMs: number }>;
  error?: { code: string; message: string; hint?: string };
}

function agentConfig(name: string, dir: string, pki: string, extra: Partial<AgentConfig>): Record<string, unknown> {
  return {
    name,
    listen: '127.0.0.1:0',
    tls: { ca: join(pki, 'ca.pem'), cert: join(pki, `${name}.pem`), key: join(pki, `${name}-key.pem`) },
    authorizedDirectors: ['director'],
    runDir: join(dir, 'run'),
    allowRestore: true,
    ...extra,
  };
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const step = opts.onStep ?? (() => {});
  const root = mkdtempSync(join(opts.baseDir ?? tmpdir(), 'freezeframe-demo-'));
  const summary: DemoSummary = { ok: false, dir: root, kept: !!opts.keep, agents: [], sample: { sources: SOURCES.length, entries: 0, bytes: 0, digest: '' }, backups: [], steps: [] };
  const agents: RunningAgent[] = [];
  const timed = async <T>(name: string, fn: () => Promise<T> | T): Promise<T> => {
    step(name);
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      summary.steps.push({ step: name, durationMs: Date.now() - t0 });
    }
  };

  try {
    const pki = join(root, 'pki');
    const dataDirs = new Map<string, string>();
    await timed('make certificates (CA, director, 4 agents)', async () => {
      await certsInit(pki);
      for (const n of [TARGET, ...SOURCES]) await certsIssue({ dir: pki, name: n, ips: ['127.0.0.1'], dns: ['localhost'] });
    });

    const before = new Map<string, TreeState>();
    await timed(`make sample data (${SOURCES.length} sources x ${FILES_PER_SOURCE} files)`, () => {
      SOURCES.forEach((s, i) => {
        const d = join(root, 'nodes', s, 'data');
        mkdirSync(d, { recursive: true });
        makeSampleTree(d, i + 1, FILES_PER_SOURCE);
        dataDirs.set(s, d);
      });
    });

    const configs = new Map<string, string>();
    for (const n of [TARGET, ...SOURCES]) {
      const dir = join(root, 'nodes', n);
      mkdirSync(join(dir, 'run'), { recursive: true });
      const extra: Partial<AgentConfig> =
        n === TARGET
          ? { target: { kind: 'dir', path: join(dir, 'backups') } }
          : { source: { kind: 'dir', volume: dataDirs.get(n)! }, freeze: { kind: 'none' } };
      if (n === TARGET) mkdirSync(join(dir, 'backups'), { recursive: true });
      const file = join(dir, 'agent.yaml');
      // JSON is YAML: no serializer needed
      writeFileSync(file, JSON.stringify(agentConfig(n, dir, pki, extra), null, 2) + '\n');
      configs.set(n, file);
    }

    await timed('start 4 agents', async () => {
      const started = await Promise.allSettled([TARGET, ...SOURCES].map((n) => startAgent(n, configs.get(n)!, join(root, 'nodes', n, 'agent.log'))));
      for (const s of started) if (s.status === 'fulfilled') agents.push(s.value);
      const failed = started.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    });
    summary.agents = agents.map((a) => ({ name: a.name, port: a.port, dataPort: a.dataPort, roles: a.name === TARGET ? 'target (dir)' : 'source (dir), freeze (none)' }));

    const inventoryFile = join(root, 'inventory.yaml');
    writeFileSync(
      inventoryFile,
      JSON.stringify(
        {
          deployment: 'demo',
          tls: { ca: 'pki/ca.pem', cert: 'pki/director.pem', key: 'pki/director-key.pem' },
          nodes: agents.map((a) => ({ name: a.name, address: `127.0.0.1:${a.port}` })),
          freeze: { lease: '30s' },
          transfer: { concurrency: 1 },
          stateDir: 'state',
        },
        null,
        2,
      ) + '\n',
    );
    const inv = loadInventory(inventoryFile);

    for (const s of SOURCES) before.set(s, captureTree(dataDirs.get(s)!));
    summary.sample.entries = [...before.values()].reduce((n, t) => n + t.size, 0);
    summary.sample.bytes = [...before.values()].reduce((n, t) => n + [...t.values()].reduce((m, e) => m + e.size, 0), 0);
    summary.sample.digest = treeDigest(new Map([...before].flatMap(([s, t]) => [...t].map(([p, e]) => [`${s}/${p}`, e] as const))));

    const doBackup = async (label: string) => {
      const r = await timed(`backup ${label}`, () => backup(inv, { label, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) }));
      const rec = r.record;
      const b: DemoBackup = {
        id: r.backupId,
        files: rec.filesTotal,
        bytesTotal: rec.bytesTotal,
        bytesTransferred: rec.bytesTransferred,
        durationMs: rec.durationMs ?? 0,
        phases: Object.fromEntries(rec.phases.map((p) => [p.phase, p.durationMs ?? 0])),
        ...(rec.freezeWindow ? { freezeWindowMs: rec.freezeWindow.durationMs } : {}),
      };
      summary.backups.push(b);
      return b;
    };

    const first = await doBackup('demo-1');
    summary.changes = await timed('change data (modify, add, delete, chmod)', () => {
      const total = { modified: 0, added: 0, deleted: 0 };
      SOURCES.forEach((s, i) => {
        const c = mutateTree(dataDirs.get(s)!, i + 1);
        total.modified += c.modified;
        total.added += c.added;
        total.deleted += c.deleted;
      });
      return total;
    });
    await doBackup('demo-2');

    await timed('wipe the sources', () => {
      for (const s of SOURCES) {
        wipeTree(dataDirs.get(s)!);
        // a stray file the restore must delete
        writeFileSync(join(dataDirs.get(s)!, 'written-after-the-disaster'), 'x');
      }
    });

    const r = await timed(`restore ${first.id}`, () => restore(inv, { backup: first.id, ...(opts.onEvent ? { onEvent: opts.onEvent } : {}) }));
    summary.restore = {
      backupId: r.backupId,
      sources: r.restored,
      bytesTotal: r.record.bytesTotal,
      bytesTransferred: r.record.bytesTransferred,
      durationMs: r.record.durationMs ?? 0,
      phases: Object.fromEntries(r.record.phases.map((p) => [p.phase, p.durationMs ?? 0])),
    };

    const v = await timed('verify every file against the state at the first backup', () => {
      const all: TreeDiff = { ok: true, checked: 0, bytes: 0, differences: [] };
      for (const s of SOURCES) {
        const d = compareTrees(before.get(s)!, captureTree(dataDirs.get(s)!));
        all.ok &&= d.ok;
        all.checked += d.checked;
        all.bytes += d.bytes;
        all.differences.push(...d.differences.map((x) => `${s}: ${x}`));
      }
      return all;
    });
    summary.verification = { ...v, differences: v.differences.slice(0, 50) };
    summary.ok = v.ok;
  } catch (e) {
    const err = asFfError(e);
    summary.error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    summary.ok = false;
    summary.kept = true; // keep the evidence (agent logs, records) of a failed demo
  } finally {
    await timed('stop agents', () => Promise.all(agents.map((a) => stopAgent(a))));
    if (!summary.kept) {
      try {
        rmSync(root, { recursive: true, force: true });
      } catch (e) {
        step(`could not remove ${root}: ${errorMessage(e)}`);
      }
    }
  }
  return summary;
}
