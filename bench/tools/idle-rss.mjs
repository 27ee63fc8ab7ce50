#!/usr/bin/env node
// Idle RSS of real agents (dir source, freeze none, as the scale section starts them) 3, 15 and
// 30 s after start: VmRSS (RssAnon) in MB each.   node bench/tools/idle-rss.mjs [agents=3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentMem, dirSourceSpecs, makeCerts, startAgents } from '../lib/agents.mjs';
import { sleep, undoList } from '../lib/util.mjs';

const n = Number(process.argv[2] ?? 3);
const root = mkdtempSync(join(tmpdir(), 'ff-idle-rss-'));
const names = Array.from({ length: n }, (_, i) => `n${i}`);
await makeCerts(join(root, 'pki'), names);
const specs = dirSourceSpecs(root, names);
const cleanup = undoList();
try {
  const agents = await startAgents(root, join(root, 'pki'), specs, cleanup, 2);
  const show = (when) => console.log(when, agents.map((a) => agentMem(a)).map((m) => `${m.rssMb} (${m.anonMb})`).join(', '));
  await sleep(3000);
  show(' 3 s:');
  await sleep(12_000);
  show('15 s:');
  await sleep(15_000);
  show('30 s:');
} finally {
  await cleanup.run();
  rmSync(root, { recursive: true, force: true });
}
