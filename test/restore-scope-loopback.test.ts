import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { entryName } from '@freezeframe/common';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { readRecord, startRig, type Rig } from './support/fault-rig.js';
import { claim } from './support/claim.js';

await claim();

// Partial, redirected and cross-deployment restores through the real director CLI and real
// agents on loopback (dir sources, a dir target, no root): `--path` restores subtrees of one
// source and leaves every other file alone, `--to-dir` restores into a new folder inside the
// node's restoreDirs and touches nothing live, `--from-deployment` lets another deployment's
// inventory restore a backup, `--map` puts a backup source onto a node of another name. Each
// with --json and human output, and the hostile cases refused naming the option.

describe('restore --path, --to-dir, --from-deployment, --map', () => {
  let rig: Rig;
  let id = '';
  const data = (node: string) => join(rig.root, node, 'data');
  const live = (node: string, f: string) => join(data(node), f);
  const read = (f: string) => readFileSync(f, 'utf8');
  const restoreDir = () => join(rig.root, 'src-1', 'restore');
  const entryOf = (node: string) => entryName(node, data(node));
  const write = (f: string, text: string) => {
    mkdirSync(join(f, '..'), { recursive: true });
    writeFileSync(f, text);
  };
  /** Runs the director with --json and parses stdout (also a refusal's `{ ok: false, error }`). */
  const json = async (args: string[]) => {
    const r = await rig.director([...args, '--json']);
    let out: any;
    try {
      out = JSON.parse(r.stdout);
    } catch {
      throw new Error(`not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    }
    return { ...r, out };
  };
  /** The live tree of src-1 as the backup holds it, then changed everywhere. */
  const changeSrc1 = () => {
    write(live('src-1', 'keep.txt'), 'keep live, differs from the backup\n');
    write(live('src-1', 'live-only.txt'), 'not in the backup\n');
    write(live('src-1', 'sub/other.txt'), 'other live\n');
    write(live('src-1', 'sub/dir/a.txt'), 'a live\n');
    write(live('src-1', 'sub/dir/extra.txt'), 'not in the backup\n');
    rmSync(live('src-1', 'sub/dir/deep'), { recursive: true, force: true });
    write(live('src-1', 'etc/app.conf'), 'conf live\n');
    write(live('src-1', 'etc/app.conf.bak'), 'not in the backup\n');
  };
  let staging = '';
  let staging2 = '';

  beforeAll(async () => {
    rig = await startRig((root) => {
      const files: Record<string, Record<string, string>> = {
        'src-1': {
          'keep.txt': 'keep v1\n',
          'sub/other.txt': 'other v1\n',
          'sub/dir/a.txt': 'a v1\n',
          'sub/dir/deep/b.txt': 'b v1\n',
          'etc/app.conf': 'conf v1\n',
        },
        'src-2': { 'f.txt': 'src-2 v1\n' },
        'stg-1': { 'staging.txt': 'staging data\n' },
      };
      for (const [node, tree] of Object.entries(files)) {
        for (const [f, text] of Object.entries(tree)) {
          mkdirSync(join(root, node, 'data', f, '..'), { recursive: true });
          writeFileSync(join(root, node, 'data', f), text);
        }
      }
      // a link in the backup: a --path through it is refused
      symlinkSync('sub', join(root, 'src-1', 'data', 'lnk'));
      mkdirSync(join(root, 'src-1', 'restore'), { recursive: true, mode: 0o700 });
      mkdirSync(join(root, 'tgt', 'backups'), { recursive: true });
      return [
        { name: 'tgt', roles: `target: { kind: dir, path: ${join(root, 'tgt', 'backups')} }\n` },
        { name: 'src-1', roles: `restoreDirs: [${join(root, 'src-1', 'restore')}]\nsource: { kind: dir, volume: ${join(root, 'src-1', 'data')} }\n` },
        { name: 'src-2', roles: `source: { kind: dir, volume: ${join(root, 'src-2', 'data')} }\n` },
        { name: 'stg-1', roles: `source: { kind: dir, volume: ${join(root, 'stg-1', 'data')} }\n` },
      ];
    }, { prefix: 'ff-scope-' });
    const b = await rig.director(['backup', '--json']);
    expect(b.code, `${b.stdout}\n${b.stderr}\n${rig.logs()}`).toBe(0);
    id = JSON.parse(b.stdout).backupId;
    // another deployment's inventories on the same agents: the same target, other nodes
    const inv = readFileSync(rig.inventory, 'utf8');
    const nodeLine = (n: string) => inv.split('\n').find((l) => l.includes(`name: ${n},`))!;
    const head = inv.slice(0, inv.indexOf('nodes:')).replace('deployment: fault', 'deployment: staging').replace(`stateDir: ${rig.stateDir}`, `stateDir: ${join(rig.root, 'state-staging')}`);
    staging = join(rig.root, 'staging.yaml');
    writeFileSync(staging, `${head}nodes:\n${['tgt', 'src-2', 'stg-1'].map(nodeLine).join('\n')}\n`);
    staging2 = join(rig.root, 'staging2.yaml');
    writeFileSync(staging2, `${head}nodes:\n${['tgt', 'stg-1'].map(nodeLine).join('\n')}\n`);
  }, 120_000);

  afterAll(async () => {
    await rig?.stop();
  });

  describe('--path', () => {
    it('--json: restores the subtrees, deletes extras inside them, leaves every other file as it is; the record says which paths', async () => {
      onTestFailed(() => console.error(rig.logs()));
      changeSrc1();
      const r = await json(['restore', id, '--only', 'src-1', '--path', 'sub/dir,etc/app.conf']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.out).toMatchObject({ backupId: id, restored: ['src-1'], scope: { paths: ['sub/dir', 'etc/app.conf'] }, maintenanceNodes: ['src-1'] });
      expect(r.out.warnings).toContainEqual(expect.stringContaining('partial restore of src-1: only sub/dir, etc/app.conf'));
      // inside: as in the backup, extras gone
      expect(read(live('src-1', 'sub/dir/a.txt'))).toBe('a v1\n');
      expect(read(live('src-1', 'sub/dir/deep/b.txt'))).toBe('b v1\n');
      expect(existsSync(live('src-1', 'sub/dir/extra.txt'))).toBe(false);
      expect(read(live('src-1', 'etc/app.conf'))).toBe('conf v1\n');
      // outside: untouched, whether it differs from the backup or is not in it
      expect(read(live('src-1', 'keep.txt'))).toBe('keep live, differs from the backup\n');
      expect(read(live('src-1', 'live-only.txt'))).toBe('not in the backup\n');
      expect(read(live('src-1', 'sub/other.txt'))).toBe('other live\n');
      expect(read(live('src-1', 'etc/app.conf.bak'))).toBe('not in the backup\n');
      const rec = readRecord(rig, r.out.record.id);
      expect(rec.restoreScope).toEqual({ paths: ['sub/dir', 'etc/app.conf'] });
      const show = await json(['show', r.out.record.id]);
      expect(show.out.record.restoreScope).toEqual({ paths: ['sub/dir', 'etc/app.conf'] });
    });

    it('human: the summary and show name the paths', async () => {
      write(live('src-1', 'sub/dir/a.txt'), 'a live again\n');
      const r = await rig.director(['restore', id, '--only', 'src-1', '--path', 'sub/dir/']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('only these paths (--path): sub/dir; every other file was left as it was');
      expect(r.stdout).toContain('restored: src-1');
      expect(read(live('src-1', 'sub/dir/a.txt'))).toBe('a v1\n');
      expect(read(live('src-1', 'keep.txt'))).toBe('keep live, differs from the backup\n');
      const runId = /record: .*\/(restore_\d{8}_\d{6})\.json/.exec(r.stdout)![1]!;
      const show = await rig.director(['show', runId]);
      expect(show.stdout).toContain('only these paths (--path): sub/dir');
    });

    it('a symbolic link in the live tree on the way to a subtree is replaced, never followed', async () => {
      onTestFailed(() => console.error(rig.logs()));
      const outside = join(rig.root, 'outside');
      write(join(outside, 'dir/a.txt'), 'outside a\n');
      write(join(outside, 'secret'), 'outside secret\n');
      rmSync(live('src-1', 'sub'), { recursive: true });
      symlinkSync(outside, live('src-1', 'sub'));
      const r = await json(['restore', id, '--only', 'src-1', '--path', 'sub/dir']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(lstatSync(live('src-1', 'sub')).isDirectory()).toBe(true);
      expect(read(live('src-1', 'sub/dir/a.txt'))).toBe('a v1\n');
      expect(readdirSync(outside).sort()).toEqual(['dir', 'secret']);
      expect(readdirSync(join(outside, 'dir'))).toEqual(['a.txt']);
      expect(read(join(outside, 'dir/a.txt'))).toBe('outside a\n');
      // the restored way in holds the subtree only: sub/other.txt was behind the link, never in this folder
      expect(readdirSync(live('src-1', 'sub'))).toEqual(['dir']);
    });

    it('hostile and wrong paths are refused naming --path, before anything moves', async () => {
      write(live('src-1', 'sub/dir/a.txt'), 'a changed\n');
      const cases: Array<[string[], number, RegExp]> = [
        [['--only', 'src-1', '--path', '../x'], 2, /^--path "\.\.\/x" names '\.\.'/],
        [['--only', 'src-1', '--path', '/etc'], 2, /^--path "\/etc" is absolute/],
        [['--only', 'src-1', '--path', 'sub/../../x'], 2, /names '\.\.'/],
        [['--only', 'src-1', '--path', 'a\u0001b'], 2, /control character/],
        [['--only', 'src-1', '--path', Array.from({ length: 65 }, (_, i) => `p${i}`).join(',')], 2, /65 paths; at most 64/],
        [['--path', 'sub/dir'], 2, /--path needs --only naming exactly one source/],
        [['--only', 'src-1,src-2', '--path', 'sub/dir'], 2, /--path needs --only naming exactly one source \(it names src-1, src-2\)/],
        [['--only', 'src-1', '--path', 'nope/x'], 1, /^--path refused by tgt: "nope\/x": backup \S+'s src-1@\+\S+ has no nope/],
        [['--only', 'src-1', '--path', 'lnk/dir'], 1, /"lnk\/dir": lnk is a symbolic link in backup/],
      ];
      for (const [args, code, why] of cases) {
        const r = await json(['restore', id, ...args]);
        expect(r.code, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).toBe(code);
        expect(r.out.ok, args.join(' ')).toBe(false);
        expect(r.out.error.message, args.join(' ')).toMatch(why);
        expect(r.out.error.details.field, args.join(' ')).toBe('--path');
        expect(r.stderr).toContain('--path');
      }
      expect(read(live('src-1', 'sub/dir/a.txt'))).toBe('a changed\n');
    });
  });

  describe('--to-dir', () => {
    it('--json: the whole source into <dir>/<restore id>/<entry> (0700 at the top); nothing live is touched, no service check', async () => {
      onTestFailed(() => console.error(rig.logs()));
      write(live('src-1', 'keep.txt'), 'keep live\n');
      const r = await json(['restore', id, '--only', 'src-1', '--to-dir', `${restoreDir()}/`]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const runId = r.out.record.id as string;
      const folder = join(restoreDir(), runId, entryOf('src-1'));
      expect(r.out).toMatchObject({ restored: ['src-1'], maintenanceNodes: [], scope: { toDir: restoreDir(), folders: { 'src-1': folder } } });
      expect(r.out.warnings.join('\n')).not.toContain('partial restore');
      expect(statSync(join(restoreDir(), runId)).mode & 0o777).toBe(0o700);
      expect(read(join(folder, 'keep.txt'))).toBe('keep v1\n');
      expect(read(join(folder, 'sub/dir/deep/b.txt'))).toBe('b v1\n');
      expect(lstatSync(join(folder, 'lnk')).isSymbolicLink()).toBe(true);
      expect(read(live('src-1', 'keep.txt'))).toBe('keep live\n');
      expect(readRecord(rig, runId).restoreScope).toEqual({ toDir: restoreDir(), folders: { 'src-1': folder } });
    });

    it('human: with --path only those subtrees arrive; the summary names the folder', async () => {
      const r = await rig.director(['restore', id, '--only', 'src-1', '--path', 'sub/dir', '--to-dir', restoreDir()]);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      const runId = /record: .*\/(restore_\d{8}_\d{6})\.json/.exec(r.stdout)![1]!;
      const folder = join(restoreDir(), runId, entryOf('src-1'));
      expect(r.stdout).toContain(`into ${restoreDir()} (--to-dir), nothing live was written:`);
      expect(r.stdout).toContain(`  src-1: ${folder}`);
      expect(readdirSync(folder)).toEqual(['sub']);
      expect(readdirSync(join(folder, 'sub'))).toEqual(['dir']);
      expect(read(join(folder, 'sub/dir/a.txt'))).toBe('a v1\n');
      const show = await rig.director(['show', runId]);
      expect(show.stdout).toContain(`  src-1: ${folder}`);
    });

    it('hostile folders are refused naming --to-dir: outside restoreDirs, relative, .., a symbolic link on the way', async () => {
      onTestFailed(() => console.error(rig.logs()));
      const elsewhere = join(rig.root, 'elsewhere');
      mkdirSync(elsewhere);
      symlinkSync(elsewhere, join(restoreDir(), 'lnk'));
      const cases: Array<[string, number, RegExp]> = [
        ['/etc', 2, /^--to-dir \/etc refused by src-1: to_dir "\/etc" is not inside any of node src-1's restoreDirs/],
        ['../x', 2, /^--to-dir "\.\.\/x" is not an absolute path/],
        [`${restoreDir()}/../../x`, 2, /^--to-dir ".*" names '\.\.' or '\.'/],
        [join(restoreDir(), 'lnk'), 1, /^--to-dir \S+ refused by src-1: to_dir \S+: \S+\/lnk is a symbolic link/],
        [join(restoreDir(), 'lnk', 'deeper'), 1, /is a symbolic link; a restore folder is never reached through a link/],
      ];
      for (const [dir, code, why] of cases) {
        const r = await json(['restore', id, '--only', 'src-1', '--to-dir', dir]);
        expect(r.code, `${dir}\n${r.stdout}\n${r.stderr}`).toBe(code);
        expect(r.out.error.message, dir).toMatch(why);
        expect(r.out.error.details.field, dir).toBe('--to-dir');
      }
      expect(readdirSync(elsewhere)).toEqual([]);
      // a node without restoreDirs takes no restore into a folder
      const none = await json(['restore', id, '--only', 'src-2', '--to-dir', restoreDir()]);
      expect(none.code).toBe(1);
      expect(none.out.error.message).toContain('node src-2 takes no restores into a folder: its agent config lists no restoreDirs');
      expect(none.out.error.details.field).toBe('--to-dir');
      // a restore into a folder puts nothing in place and stops no service
      const stop = await json(['restore', id, '--only', 'src-1', '--to-dir', restoreDir(), '--stop-services']);
      expect(stop.code).toBe(2);
      expect(stop.out.error.message).toContain('--to-dir and --stop-services exclude each other');
    });

    it('--dry-run shows the folders and that nothing live changes (--json and human)', async () => {
      const j = await json(['restore', id, '--only', 'src-1', '--path', 'sub/dir', '--to-dir', restoreDir(), '--dry-run']);
      expect(j.code, j.stderr).toBe(0);
      expect(j.out).toMatchObject({ backupId: id, paths: ['sub/dir'], toDir: restoreDir() });
      expect(j.out.sources).toEqual([expect.objectContaining({ source: 'src-1', entry: entryOf('src-1'), into: `${restoreDir()}/<restore id>/${entryOf('src-1')}` })]);
      const h = await rig.director(['restore', id, '--only', 'src-1', '--path', 'sub/dir', '--to-dir', restoreDir(), '--dry-run']);
      expect(h.code, h.stderr).toBe(0);
      expect(h.stdout).toContain('would restore 1 volume(s) of deployment fault into new folders, writing nothing live:');
      expect(h.stdout).toMatch(new RegExp(`src-1 +dir +${restoreDir()}/<restore id>/${entryOf('src-1').replaceAll('+', '\\+')} +part of`));
      expect(h.stdout).toContain('Only these paths are restored: sub/dir.');
      expect(h.stdout).toContain('the live volumes are not touched');
      const p = await rig.director(['restore', id, '--only', 'src-1', '--path', 'sub/dir,etc', '--dry-run']);
      expect(p.stdout).toContain('would overwrite 1 volume(s)');
      expect(p.stdout).toContain('Only these paths are restored: sub/dir, etc. Inside them, files there that the backup lacks are deleted');
      expect(p.stdout).toContain('every file outside them stays as it is');
    });
  });

  describe('another deployment', () => {
    it('refuses a backup another deployment took unless --from-deployment names it, before anything moves', async () => {
      onTestFailed(() => console.error(rig.logs()));
      write(live('src-2', 'f.txt'), 'src-2 changed\n');
      const plain = await json(['-i', staging, 'restore', id, '--only', 'src-2']);
      expect(plain.code, plain.stderr).toBe(1);
      expect(plain.out.error.message).toBe(`backup ${id} was taken by deployment fault, not by staging (this inventory); nothing was restored`);
      expect(plain.out.error.hint).toContain('pass --from-deployment fault');
      expect(plain.out.error.details.field).toBe('--from-deployment');
      const human = await rig.director(['-i', staging, 'restore', id, '--only', 'src-2']);
      expect(human.code).toBe(1);
      expect(human.stderr).toContain(`backup ${id} was taken by deployment fault, not by staging`);
      const wrong = await json(['-i', staging, 'restore', id, '--only', 'src-2', '--from-deployment', 'prod']);
      expect(wrong.code).toBe(1);
      expect(wrong.out.error.message).toContain(`--from-deployment prod: backup ${id} was taken by deployment fault`);
      const dry = await json(['-i', staging, 'restore', id, '--only', 'src-2', '--dry-run']);
      expect(dry.code).toBe(1);
      expect(dry.out.error.details.field).toBe('--from-deployment');
      const bad = await json(['-i', staging, 'restore', id, '--from-deployment', '../x']);
      expect(bad.code).toBe(2);
      expect(bad.out.error.details.field).toBe('--from-deployment');
      expect(read(live('src-2', 'f.txt'))).toBe('src-2 changed\n');
    });

    it('--from-deployment: --json and human; the record and show say where the backup came from', async () => {
      onTestFailed(() => console.error(rig.logs()));
      const r = await json(['-i', staging, 'restore', id, '--only', 'src-2', '--from-deployment', 'fault']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.out).toMatchObject({ restored: ['src-2'], scope: { fromDeployment: 'fault' }, record: { deployment: 'staging' } });
      expect(read(live('src-2', 'f.txt'))).toBe('src-2 v1\n');
      write(live('src-2', 'f.txt'), 'src-2 changed again\n');
      const h = await rig.director(['-i', staging, 'restore', id, '--only', 'src-2', '--from-deployment', 'fault']);
      expect(h.code, `${h.stdout}\n${h.stderr}`).toBe(0);
      expect(h.stdout).toContain('from deployment fault: the backup was taken by it (--from-deployment)');
      expect(read(live('src-2', 'f.txt'))).toBe('src-2 v1\n');
      const show = await rig.director(['-i', staging, 'show', r.out.record.id]);
      expect(show.stdout).toContain('from deployment fault');
      const dry = await rig.director(['-i', staging, 'restore', id, '--only', 'src-2', '--from-deployment', 'fault', '--dry-run']);
      expect(dry.stdout).toContain('the backup was taken by deployment fault (--from-deployment fault)');
    });

    it('--map puts a backup source onto a node of another name (--json, human, dry run)', async () => {
      onTestFailed(() => console.error(rig.logs()));
      const r = await json(['-i', staging2, 'restore', id, '--from-deployment', 'fault', '--map', 'src-1=stg-1']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.out).toMatchObject({ restored: ['stg-1'], scope: { fromDeployment: 'fault', map: { 'stg-1': 'src-1' } } });
      expect(r.out.record.transfers['stg-1'].entry).toBe(entryOf('src-1'));
      // stg-1's volume now holds src-1's backup, and what the backup lacks is gone
      expect(read(live('stg-1', 'sub/dir/deep/b.txt'))).toBe('b v1\n');
      expect(read(live('stg-1', 'keep.txt'))).toBe('keep v1\n');
      expect(existsSync(live('stg-1', 'staging.txt'))).toBe(false);
      expect(readRecord({ ...rig, stateDir: join(rig.root, 'state-staging') }, r.out.record.id).restoreScope).toEqual({ fromDeployment: 'fault', map: { 'stg-1': 'src-1' } });

      write(live('stg-1', 'keep.txt'), 'changed on staging\n');
      const h = await rig.director(['-i', staging2, 'restore', id, '--from-deployment', 'fault', '--map', 'src-1=stg-1']);
      expect(h.code, `${h.stdout}\n${h.stderr}`).toBe(0);
      expect(h.stdout).toContain('mapped: stg-1 got src-1 of the backup (--map)');
      expect(read(live('stg-1', 'keep.txt'))).toBe('keep v1\n');

      const dj = await json(['-i', staging2, 'restore', id, '--from-deployment', 'fault', '--map', 'src-1=stg-1', '--dry-run']);
      expect(dj.out.sources).toEqual([expect.objectContaining({ source: 'stg-1', from: 'src-1', entry: entryOf('src-1'), volume: data('stg-1'), missing: false })]);
      expect(dj.out.fromDeployment).toBe('fault');
      const dh = await rig.director(['-i', staging2, 'restore', id, '--from-deployment', 'fault', '--map', 'src-1=stg-1', '--dry-run']);
      expect(dh.stdout).toMatch(new RegExp(`stg-1 +dir +${data('stg-1')} +src-1: `));
    });

    it('--map with a path: the subtree of the mapped source, every other file alone', async () => {
      write(live('stg-1', 'sub/dir/a.txt'), 'staging a\n');
      write(live('stg-1', 'keep.txt'), 'staging keep\n');
      const r = await json(['-i', staging2, 'restore', id, '--from-deployment', 'fault', '--map', 'src-1=stg-1', '--only', 'stg-1', '--path', 'sub/dir']);
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(read(live('stg-1', 'sub/dir/a.txt'))).toBe('a v1\n');
      expect(read(live('stg-1', 'keep.txt'))).toBe('staging keep\n');
    });

    it('hostile and wrong --map pairs are refused naming --map', async () => {
      const cases: Array<[string, number, RegExp]> = [
        ['src-1', 2, /^--map "src-1" is not <backup source>=<source>/],
        ['src-1=stg-1=x', 2, /is not <backup source>=<source>/],
        ['../x=stg-1', 2, /^--map "\.\.\/x" is not a source/],
        ['src-1=stg-1,src-2=stg-1', 2, /maps two backup sources onto stg-1/],
        ['nope=stg-1', 2, /^--map nope=stg-1: backup \S+ has no source nope/],
        ['src-1=src-2', 2, /^--map src-1=src-2: src-2 is not a source of this inventory/],
      ];
      for (const [map, code, why] of cases) {
        const r = await json(['-i', staging2, 'restore', id, '--from-deployment', 'fault', '--map', map]);
        expect(r.code, `${map}\n${r.stdout}\n${r.stderr}`).toBe(code);
        expect(r.out.error.message, map).toMatch(why);
        expect(r.out.error.details.field, map).toBe('--map');
      }
    });
  });
});
