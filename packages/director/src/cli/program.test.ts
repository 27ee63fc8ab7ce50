import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, main } from './program.js';

const dir = mkdtempSync(join(tmpdir(), 'ff-cli-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'freezeframe', ...args], {
    stdout: { write: (s) => void (stdout += s), isTTY: false },
    stderr: { write: (s) => void (stderr += s), isTTY: false },
    env,
  });
  return { code, stdout, stderr };
}

describe('freezeframe CLI', () => {
  it('--help lists every command and documents the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(EXIT_OK);
    for (const c of ['backup', 'list', 'show', 'restore', 'health', 'pause', 'unpause', 'certs', 'demo']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/Exit codes:\n\s+0\s+ok\n\s+1\s+failed.*\n\s+2\s+usage or config error/);
    expect(r.stdout).toContain('FREEZEFRAME_INVENTORY');
  });

  it('every command takes --json', async () => {
    for (const c of [['backup'], ['list'], ['show'], ['restore'], ['health'], ['pause'], ['unpause'], ['demo'], ['certs', 'init'], ['certs', 'issue']]) {
      const r = await cli([...c, '--help']);
      expect(r.code, c.join(' ')).toBe(EXIT_OK);
      expect(r.stdout, c.join(' ')).toContain('--json');
    }
    expect((await cli(['restore', '--help'])).stdout).toContain('--only <sources>');
    expect((await cli(['backup', '--help'])).stdout).toContain('--label <label>');
  });

  it('exits 2 on usage errors', async () => {
    expect((await cli(['frobnicate'])).code).toBe(EXIT_USAGE);
    expect((await cli(['show'])).code).toBe(EXIT_USAGE); // missing <id>
    expect((await cli(['certs', 'issue', '--dir', dir])).code).toBe(EXIT_USAGE); // missing --name
    expect((await cli(['backup', '--bogus'])).code).toBe(EXIT_USAGE);
  });

  it('exits 2 with code, message and hint when there is no inventory or it is invalid', async () => {
    const none = await cli(['list']);
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.stderr).toContain('error CONFIG_INVALID: no inventory given');
    expect(none.stderr).toContain('hint: pass -i inventory.yaml or set FREEZEFRAME_INVENTORY');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'deployment: uat\nnodes: []\n');
    const r = await cli(['list', '--json'], { FREEZEFRAME_INVENTORY: bad });
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain(`${bad}: tls`);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
  });

  it('rejects a bad label and a bad backup id before connecting anywhere', async () => {
    const inv = join(dir, 'inv.yaml');
    writeFileSync(inv, `deployment: uat\ntls: { ca: ca.pem, cert: d.pem, key: d-key.pem }\nnodes:\n  - { name: target, address: 127.0.0.1:1 }\n`);
    const r = await cli(['-i', inv, 'restore', 'yesterday']);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.stderr).toContain('is not a backup id');
    const l = await cli(['-i', inv, 'backup', '--label', 'Not Valid']);
    expect(l.code).toBe(EXIT_USAGE);
    expect(l.stderr).toContain('label');
  });

  it('exits 1 when a node cannot be reached', async () => {
    // a real CA so the TLS files load; nothing listens on port 1
    const pki = join(dir, 'pki');
    expect((await cli(['certs', 'init', '--dir', pki, '--json'])).code).toBe(EXIT_OK);
    expect((await cli(['certs', 'issue', '--name', 'target', '--ip', '127.0.0.1', '--dir', pki])).code).toBe(EXIT_OK);
    const inv = join(dir, 'inv2.yaml');
    writeFileSync(inv, `deployment: uat\ntls: { ca: pki/ca.pem, cert: pki/director.pem, key: pki/director-key.pem }\nnodes:\n  - { name: target, address: 127.0.0.1:1 }\nstateDir: state\n`);
    const r = await cli(['-i', inv, 'backup', '--json']);
    expect(r.code).toBe(EXIT_FAILED);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'UNAVAILABLE' });
    expect(r.stderr).toContain('target: 127.0.0.1:1 refused the connection: is freezeframe-agent running there?');
    expect(r.stderr).not.toContain('Resolution note');
    const h = await cli(['-i', inv, 'health', '--json']);
    expect(h.code).toBe(EXIT_FAILED);
    expect(JSON.parse(h.stdout)).toMatchObject({ ok: false, nodes: [{ node: 'target', ok: false }] });
  });
});
