#!/usr/bin/env node
// pnpm package [-- --out DIR] [-- --executables-only] [-- --role agent|director]: one
// self-contained executable per role and a Debian package around each (docs/design.md,
// "Packages"). Output, all of it build output (gitignored; --out puts it in DIR, new or empty;
// --executables-only makes no .debs; --role builds that role's alone):
//   dist-pkg/bin/freezeframe, dist-pkg/bin/freezeframe-agent     node 20 single executables
//   dist-pkg/freezeframe_<version>_<arch>.deb, dist-pkg/freezeframe-agent_<version>_<arch>.deb
//   dist-pkg/map/<bin>.cjs.map                                   source maps of the bundles
// Steps: tsc --build; esbuild bundles each entry (the packages' dist/, or scripts/sea/agent.mjs)
// into one CommonJS file; node --experimental-sea-config turns it into a blob, with agent.proto
// as a JSON asset; postject injects the blob into a copy of this node binary; dpkg-deb packs.
// Needs: node 20.12+ built with single-executable support (the official and NodeSource builds
// are), dpkg-deb. Runs in about 20 s, most of it postject.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({ options: { out: { type: 'string' }, 'executables-only': { type: 'boolean' }, role: { type: 'string' } } });
const OUT = resolve(opts.out ?? join(ROOT, 'dist-pkg'));
const WORK = join(OUT, 'work');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
/** PROTO_ASSET in packages/common/src/proto.ts. */
const PROTO_ASSET = 'freezeframe-v1.proto.json';
/** What the agent's unit in deploy/ runs from a checkout, and what the package runs instead. */
const CHECKOUT_AGENT = '/usr/bin/node /opt/freezeframe/packages/agent/dist/main.js';
const MAINTAINER = 'freezeframe maintainers <freezeframe@example.invalid>';
/** libc6/libstdc++6/libgcc-s1: what the node binary inside links (ldd); 2.28 is node 20's glibc floor. */
const NODE_DEPENDS = 'libc6 (>= 2.28), libstdc++6, libgcc-s1';

const ROLES = [
  {
    pkg: 'freezeframe',
    bin: 'freezeframe',
    entry: 'packages/director/dist/cli/main.js',
    topLevelAwait: true,
    // certs init/issue run openssl
    depends: `${NODE_DEPENDS}, openssl`,
    suggests: 'freezeframe-agent',
    summary: 'backup director for freezeframe agents',
    description: [
      'The freezeframe command: runs backups, restores, drills and retention across',
      'the freezeframe agents of a deployment over gRPC with mutual TLS, and manages',
      'their certificates. A single executable: needs neither Node.js nor node_modules.',
    ],
    conffile: {
      path: 'etc/freezeframe/inventory.yaml',
      text: [
        '# freezeframe inventory: the deployment, the director\'s TLS files and the agents\' addresses.',
        '# Start from /usr/share/doc/freezeframe/examples/inventory.yaml; every key: docs/config.md.',
        '# Use it with: export FREEZEFRAME_INVENTORY=/etc/freezeframe/inventory.yaml',
      ],
    },
    examples: ['inventory.yaml'],
  },
  {
    pkg: 'freezeframe-agent',
    bin: 'freezeframe-agent',
    entry: 'scripts/sea/agent.mjs',
    // rsync: the data channel (3.4.0 is the agent's minimum, packages/agent/src/rsync-version.ts);
    // find (findutils) and sha256sum (coreutils): rechecks, link groups and checksums; xxh128sum
    // (xxhash): a target's fidelity check
    depends: `${NODE_DEPENDS}, rsync (>= 3.4), findutils, coreutils, xxhash`,
    // stunnel4: the native byte path (nativeBytePath: auto); without it node relays, slower
    recommends: 'stunnel4',
    suggests: 'btrfs-progs, zfsutils-linux | zfs-fuse, docker.io',
    summary: 'backup agent for freezeframe (one per node)',
    description: [
      'Serves one node to the freezeframe director: freezes applications, snapshots',
      'volumes (btrfs, ZFS, plain directories) and sends or receives them with rsync',
      'over a mutual-TLS data channel. Runs as root under the hardened systemd unit',
      'freezeframe-agent.service. A single executable: needs neither Node.js nor',
      'node_modules.',
    ],
    conffile: {
      path: 'etc/freezeframe/agent.yaml',
      text: [
        '# freezeframe-agent configuration. Start from one of /usr/share/doc/freezeframe-agent/examples/',
        '# (every key: docs/config.md), then check it on this node and start the agent:',
        '#   freezeframe-agent --config /etc/freezeframe/agent.yaml --check',
        '#   systemctl enable --now freezeframe-agent',
      ],
    },
    examples: ['agent-source-btrfs.yaml', 'agent-source-cgroup.yaml', 'agent-target-btrfs.yaml', 'agent-target-dir.yaml', 'agent-target-zfs.yaml'],
    unit: 'deploy/freezeframe-agent.service',
  },
];

/** Runs a build tool quietly: its stdout returned, its stderr shown only when it fails. */
function sh(bin, args) {
  try {
    return execFileSync(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    throw new Error(`${bin} ${args.join(' ')} failed:\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

function step(what, fn) {
  const t = Date.now();
  const r = fn();
  console.log(`package: ${what} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  return r;
}

/** agent.proto as protobuf.js JSON, parsed the way proto-loader's loadSync parses it, and checked against it. */
function protoJson() {
  const commonRequire = createRequire(join(ROOT, 'packages/common/package.json'));
  const loader = commonRequire('@grpc/proto-loader');
  const protobuf = createRequire(commonRequire.resolve('@grpc/proto-loader'))('protobufjs');
  const includeDir = join(ROOT, 'proto');
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(includeDir, target);
  root.loadSync('freezeframe/v1/agent.proto', { keepCase: true });
  const json = root.toJSON();
  // the same services, methods and messages as the dev path loads from the file
  const options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
  const shape = (def) =>
    JSON.stringify(
      Object.entries(def)
        .map(([k, v]) => [k, v.format ?? Object.fromEntries(Object.entries(v).map(([m, d]) => [m, [d.path, d.requestStream, d.responseStream]]))])
        .sort(),
    );
  const fromFile = loader.loadSync('freezeframe/v1/agent.proto', { ...options, includeDirs: [includeDir] });
  if (shape(loader.fromJSON(json, options)) !== shape(fromFile)) throw new Error('agent.proto as JSON differs from agent.proto');
  return json;
}

/**
 * esbuild plugin: `file`'s top-level statements after its imports run inside an async function,
 * as a CommonJS bundle (all node 20's single executables run) cannot await at the top level.
 * For an entry point, which nothing imports, that changes nothing else. Expects tsc's output:
 * each import on one line.
 */
function topLevelAwait(file) {
  return {
    name: 'top-level-await',
    setup(build) {
      build.onLoad({ filter: /\.js$/ }, (args) => {
        if (args.path !== file) return undefined;
        const lines = readFileSync(file, 'utf8').split('\n');
        const head = lines.filter((l) => /^(#!|import\s)/.test(l));
        const body = lines.filter((l) => !/^(#!|import\s)/.test(l));
        return { contents: [...head, 'void (async () => {', ...body, '})();'].join('\n'), loader: 'js' };
      });
    },
  };
}

async function bundle(role) {
  const outfile = join(WORK, `${role.bin}.cjs`);
  const r = await esbuild.build({
    entryPoints: [join(ROOT, role.entry)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // a single executable's script may require only built-ins: everything else is inside
    packages: 'bundle',
    // import.meta.url finds files beside dist/ (tunnel.js, proto/, the demo's agent), none of
    // which a package has; the packaged code takes other paths (node:sea) and the rest fails
    // naming a path instead of crashing on undefined
    define: { 'import.meta.url': '__ff_import_meta_url' },
    banner: { js: 'var __ff_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
    legalComments: 'none',
    // minified, an idle agent holds 2.5 MB less (bench/PROFILE.md, thirty-first pass: its own
    // pages are mostly the script's text and what V8 makes of it); the names in a stack trace
    // are then mangled, so the maps are kept beside the packages
    minify: true,
    sourcemap: 'external',
    logLevel: 'warning',
    plugins: role.topLevelAwait ? [topLevelAwait(join(ROOT, role.entry))] : [],
  });
  if (r.errors.length) throw new Error(`esbuild failed for ${role.entry}`);
  mkdirSync(join(OUT, 'map'), { recursive: true });
  copyFileSync(`${outfile}.map`, join(OUT, 'map', `${role.bin}.cjs.map`));
  return outfile;
}

function singleExecutable(role, script, protoFile) {
  const config = join(WORK, `${role.bin}.sea.json`);
  const blob = join(WORK, `${role.bin}.blob`);
  writeFileSync(
    config,
    JSON.stringify({ main: script, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false, assets: { [PROTO_ASSET]: protoFile } }),
  );
  sh(process.execPath, ['--experimental-sea-config', config]);
  const exe = join(OUT, 'bin', role.bin);
  rmSync(exe, { force: true });
  copyFileSync(process.execPath, exe);
  chmodSync(exe, 0o755);
  // postject warns about .note section names on Linux: harmless (node's own docs show them)
  sh(join(ROOT, 'node_modules/.bin/postject'), [exe, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SEA_FUSE]);
  return exe;
}

function debPackage(role, exe, version, arch) {
  const root = join(WORK, 'deb', role.pkg);
  rmSync(root, { recursive: true, force: true });
  const put = (rel, content, mode) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
    if (typeof content === 'string') writeFileSync(p, content);
    else copyFileSync(content.from, p);
    chmodSync(p, mode);
  };
  put(`usr/bin/${role.bin}`, { from: exe }, 0o755);
  if (role.unit) {
    const unit = readFileSync(join(ROOT, role.unit), 'utf8');
    const packaged = unit.replaceAll(CHECKOUT_AGENT, `/usr/bin/${role.bin}`);
    if (unit.split(CHECKOUT_AGENT).length !== 2 || packaged.includes('/opt/freezeframe')) {
      throw new Error(`${role.unit}: expected one ExecStart= running ${CHECKOUT_AGENT}`);
    }
    put(`lib/systemd/system/${role.unit.split('/').pop()}`, packaged, 0o644);
  }
  for (const ex of role.examples) put(`usr/share/doc/${role.pkg}/examples/${ex}`, { from: join(ROOT, 'examples', ex) }, 0o644);
  put(`usr/share/doc/${role.pkg}/config.md`, { from: join(ROOT, 'docs/config.md') }, 0o644);
  put(role.conffile.path, role.conffile.text.join('\n') + '\n', 0o600);
  chmodSync(join(root, 'etc/freezeframe'), 0o700);

  const installedKb = Math.ceil(Number(sh('du', ['-sk', '--exclude=DEBIAN', root]).split('\t')[0]));
  put(
    'DEBIAN/control',
    [
      `Package: ${role.pkg}`,
      `Version: ${version}`,
      `Architecture: ${arch}`,
      `Maintainer: ${MAINTAINER}`,
      `Installed-Size: ${installedKb}`,
      `Depends: ${role.depends}`,
      ...(role.recommends ? [`Recommends: ${role.recommends}`] : []),
      `Suggests: ${role.suggests}`,
      'Section: admin',
      'Priority: optional',
      `Description: ${role.summary}`,
      ...role.description.map((l) => ` ${l}`),
      '',
    ].join('\n'),
    0o644,
  );
  put('DEBIAN/conffiles', `/${role.conffile.path}\n`, 0o644);
  // the folder holds keys: root's alone, whatever was there before (dpkg keeps an existing
  // folder's mode); the unit is not enabled here, as it cannot start before its config exists
  put(
    'DEBIAN/postinst',
    [
      '#!/bin/sh',
      'set -e',
      'if [ "$1" = configure ]; then',
      '  chown root:root /etc/freezeframe',
      '  chmod 0700 /etc/freezeframe',
      ...(role.unit ? ['  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi'] : []),
      'fi',
      '',
    ].join('\n'),
    0o755,
  );
  if (role.unit) {
    put(
      'DEBIAN/prerm',
      ['#!/bin/sh', 'set -e', 'if [ -d /run/systemd/system ] && [ "$1" = remove ]; then', '  systemctl stop freezeframe-agent.service || true', 'fi', ''].join('\n'),
      0o755,
    );
    put('DEBIAN/postrm', ['#!/bin/sh', 'set -e', 'if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi', ''].join('\n'), 0o755);
  }
  const deb = join(OUT, `${role.pkg}_${version}_${arch}.deb`);
  // zstd -6: 31 MB in 3 s, where xz takes over a minute for 24 MB; dpkg reads zstd since 1.21.18
  // (Debian 12, Ubuntu 21.10)
  sh('dpkg-deb', ['--root-owner-group', '-Zzstd', '-z6', '--build', root, deb]);
  return deb;
}

/** --role names a role by what it runs: `agent` or `director` (the freezeframe CLI). */
function chosenRoles() {
  if (opts.role === undefined) return ROLES;
  const byName = { agent: 'freezeframe-agent', director: 'freezeframe' };
  const role = ROLES.find((r) => r.pkg === byName[opts.role]);
  if (!role) throw new Error(`--role ${opts.role}: expected agent or director`);
  return [role];
}

async function main() {
  const started = Date.now();
  const roles = chosenRoles();
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major !== 20 || minor < 12) throw new Error(`node ${process.versions.node}: packages are built with node 20.12 or newer 20.x`);
  if (!readFileSync(process.execPath).includes(SEA_FUSE)) {
    throw new Error(`${process.execPath} has no single-executable support (no ${SEA_FUSE}): use an official or NodeSource node 20 build`);
  }
  const version = JSON.parse(readFileSync(join(ROOT, 'packages/common/package.json'), 'utf8')).version;
  const arch = sh('dpkg', ['--print-architecture']).trim();
  // dist-pkg/ is ours to empty; a folder named by --out may hold anything
  if (opts.out !== undefined && existsSync(OUT) && readdirSync(OUT).length > 0) throw new Error(`--out ${OUT}: not empty; name a new or empty folder`);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'bin'), { recursive: true });
  mkdirSync(WORK, { recursive: true });

  step('tsc --build', () => sh(join(ROOT, 'node_modules/.bin/tsc'), ['--build']));
  const protoFile = join(WORK, PROTO_ASSET);
  step('agent.proto as JSON', () => writeFileSync(protoFile, JSON.stringify(protoJson())));
  for (const role of roles) {
    const script = await bundle(role);
    const exe = step(`${role.bin}: bundle ${(statSync(script).size / 1e6).toFixed(1)} MB, single executable`, () => singleExecutable(role, script, protoFile));
    if (opts['executables-only']) {
      console.log(`package: ${exe} ${(statSync(exe).size / 1e6).toFixed(0)} MB`);
      continue;
    }
    const deb = step(`${role.pkg}: .deb`, () => debPackage(role, exe, version, arch));
    console.log(`package: ${exe} ${(statSync(exe).size / 1e6).toFixed(0)} MB, ${deb} ${(statSync(deb).size / 1e6).toFixed(0)} MB`);
  }
  rmSync(WORK, { recursive: true, force: true });
  console.log(`package: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
  console.error(`package: ${e.message}`);
  process.exit(1);
});
