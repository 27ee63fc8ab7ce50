import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '@freezeframe/director/cli/program.js';
import { attachAgentLogs, logLines, startAgent, stopAgent, waitForLog, writeAgentConfig, type TestAgent } from './support/agents.js';
import { makePki } from './support/pki.js';
import { claim } from './support/claim.js';

await claim();

// docs/security.md, "A compromised director": a director (or whoever holds its key) that keeps renewing
// could hold a deployment frozen for as long as it likes: a `dir` source has no snapshot, so
// the freeze is held through its transfer, and a stalled transfer stalls the thaw. The agent
// caps a freeze by itself (freezeMaxTotal, counted from the first pause across renewals).
// Here the stall is real: the freeze host's pre hook stops the target agent (SIGSTOP), so the
// director's transfer hangs while its renewal timer keeps renewing every lease/3.

const CAP = '1500ms';

describe('security: the agent ends a freeze at freezeMaxTotal however often it is renewed', () => {
  let root: string;
  const agents: TestAgent[] = [];
  let tgt: TestAgent | undefined;
  let src: TestAgent | undefined;
  let inventory: string;
  const hooks = () => join(root, 'hooks.log');
  const hookLines = () => (existsSync(hooks()) ? readFileSync(hooks(), 'utf8').trim().split('\n') : []);
  const resumeTarget = () => {
    if (tgt?.proc.child.pid) process.kill(tgt.proc.child.pid, 'SIGCONT');
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-seccap-'));
    const pki = await makePki(join(root, 'pki'), ['director', 'src-1', 'tgt']);
    mkdirSync(join(root, 'backups'));
    mkdirSync(join(root, 'vol'));
    writeFileSync(join(root, 'vol', 'app.db'), 'rows\n');
    tgt = await startAgent('tgt', writeAgentConfig(root, pki, 'tgt', `target: { kind: dir, path: ${join(root, 'backups')} }\n`));
    agents.push(tgt);
    const sh = (cmd: string) => `{ argv: [/usr/bin/sh, -c, '${cmd}'] }`;
    src = await startAgent(
      'src-1',
      writeAgentConfig(
        root,
        pki,
        'src-1',
        `freezeMaxTotal: ${CAP}\nsource: { kind: dir, volume: ${join(root, 'vol')} }\n` +
          `freeze:\n  kind: command\n  pre: ${sh(`echo pre >> ${hooks()}; kill -STOP ${tgt.proc.child.pid}`)}\n  post: ${sh(`echo post >> ${hooks()}`)}\n`,
      ),
    );
    agents.push(src);
    const d = pki.files('director');
    inventory = join(root, 'inventory.yaml');
    writeFileSync(
      inventory,
      `deployment: seccap\ntls: { ca: ${d.ca}, cert: ${d.cert}, key: ${d.key} }\nstateDir: ${join(root, 'state')}\nnodes:\n` +
        agents.map((a) => `  - { name: ${a.name}, address: 127.0.0.1:${a.port} }\n`).join('') +
        'freeze: { lease: 900ms }\n',
    );
  });

  afterAll(async () => {
    resumeTarget();
    for (const a of agents) await stopAgent(a);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('thaws by itself at the cap while the director renews, refuses the next renewal, and the backup fails naming the cap', async () => {
    attachAgentLogs(agents);
    let out = '';
    let err = '';
    const run = main(['node', 'freezeframe', '-i', inventory, 'backup'], {
      stdout: { write: (s: string) => void (out += s) },
      stderr: { write: (s: string) => void (err += s) },
      env: {},
    });
    try {
      const capped = await waitForLog(src!, (l) => l.msg === 'thawed' && l.why === 'freeze cap reached', 15_000);
      // the whole freeze lasted the cap, not a lease: the director renewed in between
      expect(capped.frozen_ms).toBeGreaterThanOrEqual(1_500);
      expect(capped.frozen_ms).toBeLessThan(3_000);
      const renewals = logLines(src!).filter((l) => l.rpc === 'Freeze' && l.result === 'ok');
      expect(renewals.length).toBeGreaterThanOrEqual(3);
      expect(hookLines()).toEqual(['pre', 'post']);
      const refused = await waitForLog(src!, (l) => l.rpc === 'Freeze' && l.result === 'FREEZE_FAILED', 5_000);
      expect(refused.err).toMatch(/freezeMaxTotal \(1\.5 s\)/);
    } finally {
      resumeTarget();
    }
    const code = await run;
    expect(code, out + err).toBe(1);
    expect(err).toMatch(/src-1: freeze of backup \S+ reached this agent's total freeze cap freezeMaxTotal \(1\.5 s\) and was thawed/);
    // never paused again for this backup
    expect(hookLines()).toEqual(['pre', 'post']);
  });
});
