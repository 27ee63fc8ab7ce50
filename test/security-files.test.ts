import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './support/pki.js';
import { AGENT_MAIN, writeAgentConfig } from './support/agents.js';
import { needsRoot } from './support/privileges.js';

// Attacks through the agent's own files (docs/security.md, "A local user without root"): the agent runs its config's
// hooks as root and proves who it is with its key, so a config (or CA, certificate) that
// someone else can rewrite, a folder where someone else can replace it, or a key that someone
// else can read must stop it at start and in --check, naming the file and its mode.

/** Runs the built agent with `args` (it exits by itself: refused, or --check). */
function agent(args: string[]): { code: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [AGENT_MAIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
  return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('security: the agent refuses files others can change or read', () => {
  let root: string;
  let pki: Pki;
  let n = 0;
  const NODES = 16;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-files-'));
    // one certificate per node folder: --check refuses a certificate issued for another name
    pki = await makePki(join(root, 'pki'), ['director', ...Array.from({ length: NODES }, (_, i) => `alpha${i + 1}`)]);
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** A fresh node folder with a config and its own TLS files, all private. */
  const node = () => {
    const name = `alpha${++n}`;
    if (n > NODES) throw new Error(`more than ${NODES} nodes: raise NODES`);
    const dir = join(root, name);
    mkdirSync(join(dir, 'data'), { recursive: true });
    const t = pki.files(name);
    const tls = { ca: join(dir, 'ca.pem'), cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) };
    copyFileSync(t.ca, tls.ca);
    copyFileSync(t.cert, tls.cert);
    copyFileSync(t.key, tls.key);
    chmodSync(tls.key, 0o600);
    const config = writeAgentConfig(root, pki, name, `source: { kind: dir, volume: ${join(dir, 'data')} }\nfreeze: { kind: none }\n`, { tls });
    chmodSync(config, 0o644);
    return { dir, config, tls };
  };

  /** Both the start and --check exit 2 with a message holding every part of `expected`. */
  const refused = (config: string, ...expected: string[]) => {
    for (const args of [['--config', config, '--check'], ['--config', config]]) {
      const r = agent(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      for (const e of expected) expect(r.stderr).toContain(e);
      expect(r.stdout).not.toContain('listening');
    }
  };

  it('accepts private files (the control case)', () => {
    const { config } = node();
    const r = agent(['--config', config, '--check']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('refuses a world-writable config, naming the file and its mode', () => {
    const { config } = node();
    chmodSync(config, 0o666);
    refused(config, config, 'mode 0666', 'writable by others');
  });

  it('refuses a group-writable config', () => {
    const { config } = node();
    chmodSync(config, 0o664);
    refused(config, config, 'mode 0664', 'writable by its group');
  });

  it('refuses a key readable by others, naming the key file and its mode', () => {
    const { config, tls } = node();
    chmodSync(tls.key, 0o644);
    refused(config, `tls.key: ${tls.key} is mode 0644`);
    chmodSync(tls.key, 0o640);
    refused(config, `tls.key: ${tls.key} is mode 0640`);
  });

  it('refuses a CA or certificate others can rewrite (a replaced CA lets anyone in as the director)', () => {
    const { config, tls } = node();
    chmodSync(tls.ca, 0o666);
    refused(config, `tls.ca: ${tls.ca} is mode 0666`);
    chmodSync(tls.ca, 0o644);
    chmodSync(tls.cert, 0o646);
    refused(config, `tls.cert: ${tls.cert} is mode 0646`);
  });

  it('refuses a config in a folder others can write to (they could replace the file)', () => {
    const { dir, config } = node();
    chmodSync(dir, 0o777);
    refused(config, `${config} is in ${dir}, mode 0777`);
    // sticky, as /tmp: nobody else may rename or delete what they do not own
    chmodSync(dir, 0o1777);
    expect(agent(['--config', config, '--check']).code).toBe(0);
    chmodSync(dir, 0o755);
  });

  describe.skipIf(needsRoot("files owned by another user (chown)"))('as root', () => {
    it('refuses a config or key owned by another user', () => {
      const { config, tls } = node();
      chownSync(config, 12345, 0);
      refused(config, `${config} is owned by uid 12345`);
      chownSync(config, 0, 0);
      chownSync(tls.key, 12345, 0);
      refused(config, `${tls.key} is owned by uid 12345`);
    });
  });
});
