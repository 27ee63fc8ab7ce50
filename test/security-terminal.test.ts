import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProto, readTls, serverCredentials } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, type Pki } from './support/pki.js';
import { claim } from './support/claim.js';

await claim();

// Attacks on the operator's terminal (docs/security.md, "Any compromised agent"): a compromised agent answers the
// director with text full of escape sequences (set the window title, erase the line, move the
// cursor, recolour a forged "ok" row, a one-byte C1 CSI). The real director CLI from dist talks
// to a hostile agent (a gRPC server with a certificate from the deployment's CA, as a stolen
// agent key gives) and its human output must carry none of them; --json stays exact.

const DIRECTOR_MAIN = resolve(dirname(fileURLToPath(import.meta.url)), '../packages/director/dist/cli/main.js');
const EVIL = '\x1b]0;owned\x07\x1b[2K\r  alpha  ok \x1b[32mALL GOOD\x1b[0m\x9b2J\x7f\x08';
/** Bytes no human output may hold: ESC, BEL, CR, backspace, DEL, and C1 CSI as UTF-8 (c2 9b). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/;

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The director CLI as an operator runs it (async: the hostile agent answers from this process). */
function cli(args: string[], env: Record<string, string>): Promise<CliRun> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [DIRECTOR_MAIN, ...args], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const kill = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.once('close', (code) => {
      clearTimeout(kill);
      res({ code, stdout, stderr });
    });
  });
}

describe('security: agent text never drives the operator terminal', () => {
  let root: string;
  let pki: Pki;
  let hostile: grpc.Server;
  let env: Record<string, string>;
  let inventory: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-terminal-'));
    pki = await makePki(join(root, 'pki'), ['director', 'alpha']);
    hostile = new grpc.Server();
    const unimplemented = (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.UNIMPLEMENTED, details: EVIL });
    const service = loadProto().freezeframe.v1.Agent.service;
    const handlers: grpc.UntypedServiceImplementation = Object.fromEntries(Object.keys(service).map((k) => [k, unimplemented]));
    handlers.Health = (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, {
        name: 'alpha',
        version: `0.1.0${EVIL}`,
        roles: ['target'],
        ok: false,
        problems: [`disk ${EVIL}`],
        time_unix_ms: String(Date.now()),
        checks: [{ name: `rsync${EVIL}`, ok: false, detail: `disk ${EVIL}` }],
        warnings: [`careful ${EVIL}`],
      });
    handlers.Describe = (_call: unknown, cb: grpc.sendUnaryData<unknown>) =>
      cb(null, { name: 'alpha', version: '0.1.0', roles: ['target'], target: { kind: 'dir', free_bytes: '1000000' }, data_port: 1, rsync_version: EVIL });
    handlers.ListBackups = (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb({ code: grpc.status.FAILED_PRECONDITION, details: `pool broken ${EVIL}` });
    hostile.addService(service, handlers);
    const port = await new Promise<number>((res, rej) =>
      hostile.bindAsync('127.0.0.1:0', serverCredentials(readTls(pki.files('alpha'))), (e, p) => (e ? rej(e) : res(p))),
    );
    const t = pki.files('director');
    inventory = join(root, 'inventory.yaml');
    writeFileSync(inventory, `deployment: t\ntls: { ca: ${t.ca}, cert: ${t.cert}, key: ${t.key} }\nnodes:\n  - { name: alpha, address: 127.0.0.1:${port} }\n`);
    env = { XDG_STATE_HOME: join(root, 'state'), HOME: root };
  });

  afterAll(async () => {
    if (hostile) await new Promise<void>((r) => hostile.tryShutdown(() => r()));
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Human output: no control character at all, but the agent's words are still shown. */
  const clean = (r: CliRun, what: string) => {
    for (const [stream, text] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
      expect(CONTROL.exec(text), `${what} ${stream} holds a control character:\n${JSON.stringify(text)}`).toBeNull();
    }
  };

  it('health: version, problems, checks and warnings are shown without their escape sequences', async () => {
    const r = await cli(['health', '-i', inventory], env);
    expect(r.code).toBe(1);
    clean(r, 'health');
    expect(r.stdout).toContain('ALL GOOD');
    expect(r.stdout).toContain('some nodes have problems');
    // a table row stays one line whatever the cell holds
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('alpha '));
    expect(rows).toHaveLength(1);
  });

  it('health --json keeps the text exact', async () => {
    const r = await cli(['health', '-i', inventory, '--json'], env);
    const report = JSON.parse(r.stdout) as { nodes: Array<{ problems: string[]; warnings: string[] }> };
    expect(report.nodes[0]!.problems).toContain(`disk ${EVIL}`);
    expect(report.nodes[0]!.warnings).toContain(`careful ${EVIL}`);
  });

  it("an agent's error message is printed without its escape sequences (and exact in --json)", async () => {
    const r = await cli(['list', '-i', inventory], env);
    expect(r.code).toBe(1);
    clean(r, 'list');
    expect(r.stderr).toContain('pool broken');
    const j = await cli(['list', '-i', inventory, '--json'], env);
    expect((JSON.parse(j.stdout) as { error: { message: string } }).error.message).toContain(`pool broken ${EVIL}`);
  });

  it('backup: the progress lines and the final error carry no escape sequence', async () => {
    const r = await cli(['backup', '-i', inventory], env);
    expect(r.code).toBe(1);
    clean(r, 'backup');
    expect(r.stderr).toContain('preflight');
    expect(r.stderr).toContain('ALL GOOD');
  });
});
