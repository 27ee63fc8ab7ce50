import { X509Certificate, createPrivateKey } from 'node:crypto';
import { access, constants, lstat } from 'node:fs/promises';
import { errorMessage, findBinary, type AgentConfig, type TlsFiles, type TlsMaterial } from '@freezeframe/common';
import type { AgentContext } from './context.js';
import { findStunnel } from './datachannel/native.js';
import { creatableCheck, firstLine, folderCheck, type Check, type CheckOptions } from './providers/checks.js';
import { createDockerApi } from './tools/docker-api.js';
import { XXH128SUM } from './tools/xxh128sum.js';
import { cassandraConfig, volumeChecks } from './source-volumes.js';

// The node's checks beyond the schema: its own (rsync, runDir, Docker engines, TLS) and each
// provider's checks(). Health (rpc/health.ts) runs them live; `--check` (main.ts) runs them
// before serving and prints what fails.

/** Health is polled by monitoring and every preflight: each probe must answer quickly. */
const PROBE_TIMEOUT_MS = 5_000;

/** Every Docker Engine socket the config relies on, with what relies on it. */
function dockerSockets(ctx: Pick<AgentContext, 'config'>): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const add = (socket: string, why: string) => m.set(socket, [...(m.get(socket) ?? []), why]);
  const cfg = ctx.config;
  if (cfg.freeze?.kind === 'docker') add(cfg.freeze.socket, 'freeze');
  if (cfg.services && (cfg.services.docker.length > 0 || cfg.services.allContainers)) add(cfg.services.socket, 'services');
  const cassandra = cassandraConfig(cfg)?.service;
  if (cassandra && 'container' in cassandra) add(cassandra.socket, 'cassandra service');
  return m;
}

/**
 * A restoreDir is a folder, not a symbolic link (a drill refuses a link anywhere on its folder's
 * path). Only a warning: drills fail without it, backups do not.
 */
async function restoreDirCheck(key: string, dir: string): Promise<Check> {
  const link = await lstat(dir).then((st) => st.isSymbolicLink(), () => false);
  const c = link ? { name: 'restore-dir', ok: false, detail: `${key}: ${dir} is a symbolic link: drills refuse it (name the folder it points to)` } : await folderCheck('restore-dir', key, dir);
  return c.ok ? c : { ...c, warnOnly: true, detail: `${c.detail}; drills into it fail` };
}

/**
 * Checks that belong to no provider: rsync, xxh128sum (a target's fidelity check), stunnel (nativeBytePath), runDir, every Docker engine the config uses (once per
 * socket: freeze, services and Cassandra's service may share one). Exported for `--check`.
 */
export async function agentChecks(ctx: Pick<AgentContext, 'config'>, o: CheckOptions = {}): Promise<Check[]> {
  const out: Check[] = [];
  try {
    out.push({ name: 'rsync', ok: true, detail: `rsync at ${findBinary('rsync')}` });
  } catch (e) {
    out.push({ name: 'rsync', ok: false, detail: errorMessage(e) });
  }
  if (ctx.config.target) {
    try {
      out.push({ name: 'xxh128sum', ok: true, detail: `fidelity check: xxh128sum at ${findBinary(XXH128SUM)}` });
    } catch {
      out.push({ name: 'xxh128sum', ok: false, detail: 'xxh128sum is not installed (Debian package xxhash): without it this target cannot compare what landed with what its senders read, and tags no backup that carries their checksums' });
    }
  }
  if (ctx.config.nativeBytePath === 'auto') {
    const stunnel = findStunnel();
    out.push(
      stunnel
        ? { name: 'stunnel', ok: true, detail: `native byte path: stunnel at ${stunnel}` }
        : { name: 'stunnel', ok: false, warnOnly: true, detail: 'stunnel is not installed (Debian package stunnel4): the data channel relays every byte through node, which is slower; install it, or set nativeBytePath: off' },
    );
  }
  for (const [i, dir] of ctx.config.restoreDirs.entries()) out.push(await restoreDirCheck(`restoreDirs[${i}]`, dir));
  if (!o.live) {
    out.push(await creatableCheck('run-dir', 'runDir', ctx.config.runDir));
    return out;
  }
  try {
    await access(ctx.config.runDir, constants.W_OK);
    out.push({ name: 'run-dir', ok: true, detail: `runDir ${ctx.config.runDir} is writable` });
  } catch (e) {
    out.push({ name: 'run-dir', ok: false, detail: `runDir ${ctx.config.runDir} is not writable: ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}` });
  }
  for (const [socket, users] of dockerSockets(ctx)) {
    try {
      await createDockerApi(socket, { timeoutMs: PROBE_TIMEOUT_MS }).ping();
      out.push({ name: 'docker', ok: true, detail: `docker engine at ${socket} answers (${users.join(', ')})`, application: true });
    } catch (e) {
      out.push({ name: 'docker', ok: false, detail: `docker engine at ${socket} (for ${users.join(', ')}): ${firstLine(errorMessage(e))}`, application: true });
    }
  }
  return out;
}

/** Every check of this node: its own, then each provider's (source, freeze, target). */
export async function allChecks(ctx: Pick<AgentContext, 'config' | 'sources' | 'freeze' | 'target'>, o: CheckOptions = {}): Promise<Check[]> {
  const parts = await Promise.all([agentChecks(ctx, o), ...ctx.sources.map((v) => volumeChecks(v, o)), ctx.freeze?.checks(o) ?? [], ctx.target?.checks(o) ?? []]);
  return parts.flat();
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]*?-----END CERTIFICATE-----/g;

/**
 * The agent's own certificate as the director and peers will judge it: issued by `tls.ca` for
 * this node's name (the subject CN the director compares with the node it calls), valid now,
 * matching `tls.key`. The files were read (and the CRL checked) by readTls already.
 */
export function tlsChecks(files: TlsFiles, tls: TlsMaterial, nodeName: AgentConfig['name'], now = Date.now()): Check[] {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(tls.cert);
  } catch (e) {
    return [{ name: 'tls-cert', ok: false, detail: `tls.cert: ${files.cert} is not a PEM certificate: ${firstLine(errorMessage(e))}` }];
  }
  const out: Check[] = [];
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1] ?? '';
  out.push(
    cn === nodeName
      ? { name: 'tls-cert', ok: true, detail: `tls.cert: ${files.cert} is issued for ${nodeName}` }
      : {
          name: 'tls-cert',
          ok: false,
          detail: `tls.cert: ${files.cert} is issued for '${cn || '(no CN)'}', not for this node's name '${nodeName}' (name:): the director refuses it (freezeframe certs issue ${nodeName})`,
        },
  );
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (to <= now) out.push({ name: 'tls-cert-dates', ok: false, detail: `tls.cert: ${files.cert} expired on ${new Date(to).toISOString()} (freezeframe certs renew ${nodeName})` });
  else if (from > now) out.push({ name: 'tls-cert-dates', ok: false, detail: `tls.cert: ${files.cert} is not valid before ${new Date(from).toISOString()} (is the clock right?)` });
  else out.push({ name: 'tls-cert-dates', ok: true, detail: `tls.cert: ${files.cert} is valid until ${new Date(to).toISOString()}` });

  const cas: X509Certificate[] = [];
  for (const pem of tls.ca.toString('latin1').match(PEM_CERT_RE) ?? []) {
    try {
      cas.push(new X509Certificate(pem));
    } catch {
      // a damaged block: counted as no CA below
    }
  }
  if (cas.length === 0) out.push({ name: 'tls-ca', ok: false, detail: `tls.ca: ${files.ca} holds no PEM certificate` });
  else if (cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) out.push({ name: 'tls-ca', ok: true, detail: `tls.cert: ${files.cert} is signed by tls.ca ${files.ca}` });
  else out.push({ name: 'tls-ca', ok: false, detail: `tls.cert: ${files.cert} is not signed by tls.ca ${files.ca} (issued by ${cert.issuer.replace(/\n/g, ', ')}): peers will refuse it` });

  try {
    const ok = cert.checkPrivateKey(createPrivateKey(tls.key));
    out.push(ok ? { name: 'tls-key', ok: true, detail: `tls.key: ${files.key} belongs to tls.cert` } : { name: 'tls-key', ok: false, detail: `tls.key: ${files.key} does not belong to tls.cert ${files.cert}` });
  } catch (e) {
    out.push({ name: 'tls-key', ok: false, detail: `tls.key: ${files.key} is not a private key: ${firstLine(errorMessage(e))}` });
  }
  if (tls.crl) out.push({ name: 'tls-crl', ok: true, detail: `tls.crl: ${files.crl ?? tls.crl.file} is current and signed by tls.ca (${tls.crl.size} revoked)` });
  return out;
}
