import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { linkTree } from '@freezeframe/agent/providers/source/cassandra-layout.js';
import { openBeneath, openTrustedDir, safeFsTestSeam, withDir, type SafeDir } from '@freezeframe/agent/safe-fs.js';
import { makePki, type Pki } from './support/pki.js';
import { AGENT_MAIN, writeAgentConfig } from './support/agents.js';
import { needsRoot } from './support/privileges.js';
import { claim } from './support/claim.js';

await claim();

// Attacks through the agent's own files (docs/security.md, "A local user without root"): the agent runs its config's
// hooks as root and proves who it is with its key, so a config (or CA, certificate) that
// someone else can rewrite, a folder where someone else can replace it, or a key that someone
// else can read must stop it at start and in --check, naming the file and its mode. The
// folders the agent makes for itself in a folder another user can write (a drill's, a staged
// backup's, one it places restored sstables in) must be the agent's own when it uses them.

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

describe.skipIf(needsRoot('folders of another user (chown)'))('security: a folder the agent makes is its own, not one another user swapped in', () => {
  const NOBODY = 65534;
  let root: string;
  let shared: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'ff-sec-mkdir-'));
  });
  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });
  afterEach(() => safeFsTestSeam.afterMkdir(undefined));

  /** A fresh folder everyone can write to, as a table folder the application's user owns is for that user. */
  let n = 0;
  const sharedDir = () => {
    shared = join(root, `shared${++n}`);
    mkdirSync(shared);
    chmodSync(shared, 0o777);
    return shared;
  };

  /**
   * What the other user does between the agent's mkdir and its open of the name: moves the
   * agent's new folder aside and renames an empty folder of its own (private, as the agent
   * makes them) into its place. Only the owner tells the two apart.
   */
  const swapInTheirs = () =>
    safeFsTestSeam.afterMkdir((path) => {
      safeFsTestSeam.afterMkdir(undefined);
      const theirs = join(shared, '.theirs');
      mkdirSync(theirs, { mode: 0o700 });
      chownSync(theirs, NOBODY, NOBODY);
      renameSync(path, `${path}.agent`);
      renameSync(theirs, path);
    });

  const inShared = <T>(fn: (d: SafeDir) => Promise<T>) => openBeneath(sharedDir()).then((d) => withDir(d!, fn));

  it('dir() with create refuses a folder swapped in between its mkdir and its open, naming it', async () => {
    await inShared(async (d) => {
      swapInTheirs();
      await expect(d.mustDir('drill_1', { create: 0o700 })).rejects.toMatchObject({
        code: 'FAILED_PRECONDITION',
        message: expect.stringContaining(`${shared}/drill_1 was replaced while the agent (root) created it (owned by uid ${NOBODY}, not 0)`),
        details: { path: `${shared}/drill_1` },
      });
      // nothing was chowned: the folder the agent made stays root's, theirs stays theirs
      expect(lstatSync(join(shared, 'drill_1')).uid).toBe(NOBODY);
      expect(lstatSync(join(shared, 'drill_1.agent')).uid).toBe(0);
    });
  });

  it('dir() with create and an owner refuses the swap before it chowns anything, naming it', async () => {
    await inShared(async (d) => {
      swapInTheirs();
      await expect(d.mustDir('.users_email_idx', { create: 0o755, owner: { uid: 12345, gid: 12345 } })).rejects.toMatchObject({
        message: expect.stringContaining(`${shared}/.users_email_idx was replaced while the agent (root) created it`),
      });
      expect(lstatSync(join(shared, '.users_email_idx')).uid).toBe(NOBODY);
      expect(lstatSync(join(shared, '.users_email_idx.agent')).uid).toBe(0);
    });
  });

  it('openTrustedDir with create refuses a folder swapped in for one it made, naming it', async () => {
    sharedDir();
    swapInTheirs();
    await expect(openTrustedDir(join(shared, 'backup', 'inner'), { create: true })).rejects.toMatchObject({
      message: expect.stringContaining(`${shared}/backup was replaced while the agent (root) created it (owned by uid ${NOBODY}, not 0)`),
    });
    expect(existsSync(join(shared, 'backup', 'inner'))).toBe(false);
  });

  it('a link or another user\'s folder planted where the agent makes a folder is refused, naming it', async () => {
    await inShared(async (d) => {
      mkdirSync(join(root, 'victim'), { recursive: true });
      for (const name of ['drill_2', 'restored', '.idx']) {
        symlinkSync(join(root, 'victim'), join(shared, name));
        await expect(d.mustDir(name, { create: 0o700 })).rejects.toMatchObject({ message: expect.stringContaining(`${shared}/${name} is a symbolic link`) });
        await expect(d.mustDir(name, { create: 0o700, owner: { uid: 12345, gid: 12345 } })).rejects.toMatchObject({ message: expect.stringContaining(`${shared}/${name} is a symbolic link`) });
        rmSync(join(shared, name));
        mkdirSync(join(shared, name));
        chownSync(join(shared, name), NOBODY, NOBODY);
        await expect(d.mustDir(name, { create: 0o700 })).rejects.toMatchObject({
          code: 'FAILED_PRECONDITION',
          message: expect.stringContaining(`${shared}/${name} is owned by uid ${NOBODY}, not by the agent (uid 0)`),
          details: { path: `${shared}/${name}` },
        });
        await expect(d.mustDir(name, { create: 0o700, owner: { uid: 12345, gid: 12345 } })).rejects.toMatchObject({ message: expect.stringContaining(`${shared}/${name} is owned by uid ${NOBODY}, not by the agent (uid 0) or uid 12345`) });
      }
      expect(readdirSync(join(root, 'victim'))).toEqual([]);
    });
  });

  it('restore placement (linkTree with an owner) refuses another user\'s folder at an index folder\'s name and puts nothing in it', async () => {
    const staged = join(root, 'staged');
    mkdirSync(join(staged, '.users_email_idx'), { recursive: true });
    writeFileSync(join(staged, '.users_email_idx', 'nb-1-big-Data.db'), 'sstable');
    await inShared(async (live) => {
      mkdirSync(join(shared, '.users_email_idx'));
      chownSync(join(shared, '.users_email_idx'), NOBODY, NOBODY);
      const from = (await openBeneath(staged))!;
      await withDir(from, async () => {
        await expect(linkTree(from, live, { owner: { uid: 12345, gid: 12345 } })).rejects.toMatchObject({ message: expect.stringContaining(`${shared}/.users_email_idx is owned by uid ${NOBODY}`) });
        // the application's own index folder is used
        chownSync(join(shared, '.users_email_idx'), 12345, 12345);
        await expect(linkTree(from, live, { owner: { uid: 12345, gid: 12345 } })).resolves.toMatchObject({ files: 1 });
      });
      expect(lstatSync(join(shared, '.users_email_idx', 'nb-1-big-Data.db')).uid).toBe(12345);
    });
  });
});
