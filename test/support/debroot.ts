import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findBinary, run } from '@freezeframe/common';

/**
 * What the package tests share (test/package.test.ts, test/ansible.test.ts): the packages built
 * by `pnpm package`'s script, and a clean Debian root made by mmdebstrap, cached as a tarball.
 */

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const RELEASE = 'bookworm';
export const MIRRORS = [`deb http://deb.debian.org/debian ${RELEASE} main`, `deb http://deb.debian.org/debian-security ${RELEASE}-security main`];
/**
 * The packages' Depends (dpkg -i checks them; nothing is fetched at install time), and python3
 * with python3-apt, which Ansible's modules need on a managed node (`ansible.builtin.apt` with
 * `deb=` reads the package with python3-apt, and would otherwise fetch it).
 */
export const INCLUDE = ['rsync', 'openssl', 'xxhash', 'libstdc++6', 'libgcc-s1', 'python3', 'python3-apt'];
const CACHE = '/var/cache/freezeframe-test';

/** Tools debianTarball and buildPackages run, for needsRoot's list. */
export const DEBROOT_TOOLS = ['mmdebstrap', 'dpkg-deb', 'tar'];

/**
 * A clean Debian root (mmdebstrap's `essential` variant plus INCLUDE) as a tarball: from the
 * cache under /var/cache, keyed by release, mirrors and package list, or made by mmdebstrap
 * (about 30 s, from the Debian mirror) and cached. Concurrent makers each write their own
 * partial file and rename it into place, so a reader never sees half a tarball.
 */
export async function debianTarball(): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify({ RELEASE, MIRRORS, INCLUDE, variant: 'essential' })).digest('hex').slice(0, 12);
  const tarball = join(CACHE, `debian-${RELEASE}-${key}.tar`);
  if (existsSync(tarball)) return tarball;
  mkdirSync(CACHE, { recursive: true });
  const partial = `${tarball}.${process.pid}.partial.tar`;
  try {
    await run({
      bin: findBinary('mmdebstrap'),
      args: ['--quiet', '--format=tar', '--variant=essential', `--include=${INCLUDE.join(',')}`, RELEASE, partial, ...MIRRORS],
      timeoutMs: 600_000,
    });
    renameSync(partial, tarball);
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  return tarball;
}

export interface BuiltPackages {
  /** dist-pkg/ of this checkout. */
  out: string;
  /** dist-pkg/bin, the two single executables. */
  bin: string;
  /** The director's .deb (`freezeframe_<version>_<arch>.deb`). */
  director: string;
  /** The agent's .deb (`freezeframe-agent_<version>_<arch>.deb`). */
  agent: string;
}

/**
 * Runs scripts/package.mjs (what `pnpm package` runs: tsc --build, the single executables, the
 * .debs; about 15 s) into this checkout's dist-pkg/, and names what it wrote. The build is part
 * of what the callers test, so it always runs; it fails with the script's output.
 */
export async function buildPackages(): Promise<BuiltPackages> {
  const out = join(repo, 'dist-pkg');
  const built = await run({ bin: process.execPath, args: [join(repo, 'scripts/package.mjs')], cwd: repo, timeoutMs: 300_000, okExitCodes: Array.from({ length: 256 }, (_, i) => i) });
  if (built.code !== 0) throw new Error(`scripts/package.mjs failed:\n${built.stdout}${built.stderr}`);
  const debs = { director: '', agent: '' };
  for (const f of readdirSync(out)) {
    if (f.startsWith('freezeframe_') && f.endsWith('.deb')) debs.director = join(out, f);
    if (f.startsWith('freezeframe-agent_') && f.endsWith('.deb')) debs.agent = join(out, f);
  }
  if (!debs.director || !debs.agent) throw new Error(`scripts/package.mjs left no .debs in ${out}: ${readdirSync(out).join(', ')}`);
  return { out, bin: join(out, 'bin'), ...debs };
}
