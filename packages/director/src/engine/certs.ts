import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { CERT_DNS_NAME_RE, FfError, checkName, writeFileAtomicSync, findBinary, normalizeSerial, parseCrl, run } from '@freezeframe/common';

// A small private CA made with the system openssl (no certificate library to trust or
// update): EC P-256 keys, the CA signs one certificate per node and one for the director.
// The common name is the identity everything checks; SANs are there for other TLS clients.
// Revocation: `index.txt` in the CA folder is openssl's CA database (a V line per certificate
// issued, R once revoked), and `crl.pem` is made from it by `openssl ca -gencrl`.

const TIMEOUT_MS = 30_000;
const CA_DAYS = 3650;
/** Leaf certificates: the longest the CA/Browser Forum allows public ones, so an unrevoked lost key expires within about a year. */
export const LEAF_DAYS = 397;
/**
 * The CRL is copied to the nodes by hand, not fetched, so a short nextUpdate would only stop
 * every node the day it passes; a newer CRL replaces it whenever something is revoked.
 */
const CRL_DAYS = 3650;

export interface IssuedFiles {
  cert: string;
  key: string;
}

export interface IssuedCert extends IssuedFiles {
  /** Upper-case hex, as openssl and node print it. */
  serial: string;
  notAfter: string;
}

export interface CaFiles extends IssuedFiles {
  director: IssuedCert;
  /** An empty CRL, to install on every node (tls.crl) before anything needs revoking. */
  crl: string;
}

function openssl(args: string[], input?: string): Promise<{ stdout: string }> {
  return run({ bin: findBinary('openssl'), args, timeoutMs: TIMEOUT_MS, ...(input !== undefined ? { input } : {}) });
}

async function newKey(file: string): Promise<void> {
  const r = await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  // created 0600 from the start: a private key is never readable by others, not even briefly
  writeFileSync(file, r.stdout, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
}

function refuseOverwrite(files: string[]): void {
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0) {
    throw new FfError('ALREADY_EXISTS', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; not overwriting`, {
      hint: 'remove the files first or choose another --dir',
    });
  }
}

/** Creates ca.pem/ca-key.pem, director.pem/director-key.pem (CN=director) and an empty crl.pem in `dir`. */
export async function certsInit(folder: string): Promise<CaFiles> {
  // openssl runs in '/' (the runner's default): relative paths would name the wrong files
  const dir = resolve(folder);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const cert = join(dir, 'ca.pem');
  const key = join(dir, 'ca-key.pem');
  refuseOverwrite([cert, key, join(dir, 'director.pem'), join(dir, 'director-key.pem')]);
  await newKey(key);
  await openssl([
    'req', '-x509', '-new', '-key', key, '-sha256', '-days', String(CA_DAYS),
    '-subj', '/CN=freezeframe-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', cert,
  ]);
  const director = await certsIssue({ dir, name: 'director', clientOnly: true });
  const crl = (await writeCrl(dir)).crl;
  return { cert, key, director, crl };
}

export interface IssueOptions {
  dir: string;
  name: string;
  ips?: string[];
  dns?: string[];
  /** The director's certificate only ever acts as a client. */
  clientOnly?: boolean;
  /** Validity in days (default LEAF_DAYS). */
  days?: number;
}

function caFiles(dir: string): { caCert: string; caKey: string } {
  const caCert = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  if (!existsSync(caCert) || !existsSync(caKey)) {
    throw new FfError('NOT_FOUND', `no CA in ${dir} (ca.pem and ca-key.pem)`, { hint: `run \`freezeframe certs init --dir ${dir}\` first` });
  }
  return { caCert, caKey };
}

function checkDays(days: number | undefined): number {
  if (days === undefined) return LEAF_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > CA_DAYS) throw new FfError('INVALID_ARGUMENT', `--days ${days} must be a whole number of days from 1 to ${CA_DAYS}`);
  return days;
}

/**
 * Issues `<name>.pem`/`<name>-key.pem` (CN=name, SANs: name, dns, ips), signed by the CA in `dir`,
 * and records it in the CA folder's index.txt.
 */
export async function certsIssue(options: IssueOptions): Promise<IssuedCert> {
  const opts = { ...options, dir: resolve(options.dir) };
  const name = checkName(opts.name, '--name');
  const { caCert, caKey } = caFiles(opts.dir);
  const days = checkDays(opts.days);
  for (const ip of opts.ips ?? []) if (!isIP(ip)) throw new FfError('INVALID_ARGUMENT', `--ip ${JSON.stringify(ip)} is not an IP address`);
  for (const d of opts.dns ?? []) {
    if (!CERT_DNS_NAME_RE.test(d)) {
      throw new FfError('INVALID_ARGUMENT', `--dns ${JSON.stringify(d)} is not a DNS name`);
    }
  }
  const cert = join(opts.dir, `${name}.pem`);
  const key = join(opts.dir, `${name}-key.pem`);
  refuseOverwrite([cert, key]);

  const dnsNames = [...new Set([name, ...(opts.dns ?? [])])];
  const san = [...dnsNames.map((d) => `DNS:${d}`), ...(opts.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
  const ext = [
    '[v3]',
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyAgreement',
    `extendedKeyUsage=${opts.clientOnly ? 'clientAuth' : 'serverAuth,clientAuth'}`,
    `subjectAltName=${san}`,
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid',
    '',
  ].join('\n');

  const work = mkdtempSync(join(opts.dir, `.issue-${name}-`));
  try {
    const extFile = join(work, 'ext.cnf');
    const csr = join(work, 'req.csr');
    writeFileSync(extFile, ext);
    await newKey(key);
    await openssl(['req', '-new', '-key', key, '-subj', `/CN=${name}`, '-out', csr]);
    await openssl([
      'x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey,
      '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '1')}`,
      '-days', String(days), '-sha256', '-extfile', extFile, '-extensions', 'v3', '-out', cert,
    ]);
  } catch (e) {
    rmSync(key, { force: true });
    rmSync(cert, { force: true });
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const info = await certInfo(cert);
  updateIndex(opts.dir, (rows) => [...rows, { status: 'V', expiry: indexTime(info.notAfter), revoked: '', serial: info.serial, file: 'unknown', subject: `/CN=${name}` }]);
  return { cert, key, serial: info.serial, notAfter: info.notAfter.toISOString() };
}

/** What a certificate says about itself, read with openssl. */
export interface CertInfo {
  serial: string;
  notAfter: Date;
  /** Subject common name ('' if none). */
  name: string;
  dns: string[];
  ips: string[];
  /** SANs other than DNS names and IP addresses (never made by `certs issue`). */
  otherSans: string[];
  serverAuth: boolean;
}

/** Parses `openssl x509 -noout -serial -enddate -subject -nameopt RFC2253 -ext subjectAltName,extendedKeyUsage`. */
export function parseCertInfo(text: string): CertInfo {
  const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix))?.slice(prefix.length).trim();
  const serial = line('serial=');
  const end = line('notAfter=');
  if (!serial || !end) throw new FfError('COMMAND_FAILED', `openssl printed no serial or end date:\n${text}`);
  const subject = line('subject=') ?? '';
  const lines = text.split('\n');
  const after = (header: string) => {
    const i = lines.findIndex((l) => l.trim().startsWith(header));
    return i < 0 ? '' : (lines[i + 1] ?? '').trim();
  };
  const sans = after('X509v3 Subject Alternative Name').split(', ').filter((x) => x.length > 0);
  return {
    serial: serial.toUpperCase(),
    notAfter: new Date(end),
    name: /(?:^|,)CN=((?:[^,\\]|\\.)*)/.exec(subject)?.[1] ?? '',
    dns: sans.filter((x) => x.startsWith('DNS:')).map((x) => x.slice(4)),
    ips: sans.filter((x) => x.startsWith('IP Address:')).map((x) => x.slice(11)),
    otherSans: sans.filter((x) => !x.startsWith('DNS:') && !x.startsWith('IP Address:')),
    serverAuth: after('X509v3 Extended Key Usage').includes('TLS Web Server Authentication'),
  };
}

/** Reads a certificate file with openssl x509 (NOT_FOUND when it does not exist). */
export async function certInfo(file: string): Promise<CertInfo> {
  if (!existsSync(file)) throw new FfError('NOT_FOUND', `${file} does not exist`);
  const r = await openssl(['x509', '-in', file, '-noout', '-serial', '-enddate', '-subject', '-nameopt', 'RFC2253', '-ext', 'subjectAltName,extendedKeyUsage']);
  return parseCertInfo(r.stdout);
}

// openssl's CA database, index.txt: status, expiry, revocation date, serial, file, subject (tabs)
interface IndexRow {
  status: string;
  expiry: string;
  revoked: string;
  serial: string;
  file: string;
  subject: string;
}

/** openssl's index.txt time: UTCTime until 2049, GeneralizedTime after. */
export function indexTime(d: Date): string {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${d.getUTCFullYear() < 2050 ? iso.slice(2) : iso}Z`;
}

function readIndex(dir: string): IndexRow[] {
  const file = join(dir, 'index.txt');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [status = '', expiry = '', revoked = '', serial = '', f = '', subject = ''] = l.split('\t');
      return { status, expiry, revoked, serial, file: f, subject };
    });
}

/** Rewrites index.txt with `change` applied (written beside it, then renamed over it). */
function updateIndex(dir: string, change: (rows: IndexRow[]) => IndexRow[]): void {
  const file = join(dir, 'index.txt');
  const clean = (s: string) => s.replace(/[\t\r\n]/g, '_');
  const text = change(readIndex(dir))
    .map((r) => [r.status, r.expiry, r.revoked, r.serial, r.file, r.subject].map(clean).join('\t') + '\n')
    .join('');
  writeFileAtomicSync(file, text);
}

export interface CrlResult {
  crl: string;
  /** Serials the CRL lists. */
  revoked: number;
  nextUpdate: string;
}

/**
 * Writes `<dir>/crl.pem` from index.txt with `openssl ca -gencrl`, signed by the CA key
 * (written beside it, then renamed over it: a node re-reading it never sees half a file).
 */
export async function writeCrl(folder: string): Promise<CrlResult> {
  const dir = resolve(folder);
  const { caCert, caKey } = caFiles(dir);
  if (!existsSync(join(dir, 'index.txt'))) writeFileSync(join(dir, 'index.txt'), '', { mode: 0o600 });
  if (!existsSync(join(dir, 'crlnumber'))) writeFileSync(join(dir, 'crlnumber'), '01\n', { mode: 0o600 });
  const crl = join(dir, 'crl.pem');
  const work = mkdtempSync(join(dir, '.crl-'));
  try {
    const cnf = join(work, 'ca.cnf');
    // relative paths (openssl runs in `dir`): a folder name with '$' or '#' would be read as config syntax
    writeFileSync(
      cnf,
      ['[ca]', 'default_ca = ff', '[ff]', 'database = ./index.txt', 'crlnumber = ./crlnumber', 'default_md = sha256', 'unique_subject = no',
        'crl_extensions = crl_ext', '[crl_ext]', 'authorityKeyIdentifier = keyid:always', ''].join('\n'),
    );
    const out = join(work, 'crl.pem');
    await run({
      bin: findBinary('openssl'),
      args: ['ca', '-gencrl', '-batch', '-config', cnf, '-cert', caCert, '-keyfile', caKey, '-crldays', String(CRL_DAYS), '-out', out],
      cwd: dir,
      timeoutMs: TIMEOUT_MS,
    });
    writeFileAtomicSync(crl, readFileSync(out), 0o644);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // what the nodes will read, read back the way they read it
  const written = parseCrl(readFileSync(crl));
  return { crl, revoked: written.revoked.size, nextUpdate: (written.nextUpdate ?? new Date(8.64e15)).toISOString() };
}

export interface RevokeOptions {
  dir: string;
  /** Exactly one of: the current `<dir>/<name>.pem`, a certificate file, or a serial from index.txt. */
  name?: string;
  cert?: string;
  serial?: string;
}

export interface RevokeResult extends CrlResult {
  serial: string;
  /** The certificate's name ('' if only the serial is known). */
  name: string;
  /** It was revoked before: nothing changed but a freshly signed CRL. */
  alreadyRevoked: boolean;
}

/**
 * Records a certificate as revoked in index.txt and writes a new crl.pem. Revoking twice
 * changes nothing but the CRL's dates and number.
 */
export async function certsRevoke(options: RevokeOptions): Promise<RevokeResult> {
  const opts = { ...options, dir: resolve(options.dir), ...(options.cert !== undefined ? { cert: resolve(options.cert) } : {}) };
  const { caCert } = caFiles(opts.dir);
  const given = [opts.name, opts.cert, opts.serial].filter((x) => x !== undefined).length;
  if (given !== 1) throw new FfError('INVALID_ARGUMENT', 'give exactly one of --name, --cert and --serial');
  const rows = readIndex(opts.dir);
  let serial: string;
  let name: string;
  let expiry: string;
  if (opts.serial !== undefined) {
    if (!/^(0x)?[0-9A-Fa-f:]+$/.test(opts.serial)) throw new FfError('INVALID_ARGUMENT', `--serial ${JSON.stringify(opts.serial.slice(0, 40))} is not a hexadecimal serial`);
    const want = normalizeSerial(opts.serial.replace(/^0x/, ''));
    const row = rows.find((r) => normalizeSerial(r.serial) === want);
    if (!row) {
      throw new FfError('NOT_FOUND', `serial ${want} is not in ${join(opts.dir, 'index.txt')} (certificates issued from this folder)`, {
        hint: 'revoke a certificate file with --cert FILE instead',
      });
    }
    ({ serial, expiry } = row);
    name = /\/CN=([^/]*)/.exec(row.subject)?.[1] ?? '';
  } else {
    const file = opts.cert ?? join(opts.dir, `${checkName(opts.name, '--name')}.pem`);
    const info = await certInfo(file);
    const v = await run({ bin: findBinary('openssl'), args: ['verify', '-no_check_time', '-CAfile', caCert, file], timeoutMs: TIMEOUT_MS, okExitCodes: [0, 2] });
    if (v.code !== 0) throw new FfError('FAILED_PRECONDITION', `${file} was not issued by the CA in ${opts.dir}: ${v.stderr.trim().split('\n')[0] ?? ''}`);
    ({ serial, name } = info);
    expiry = indexTime(info.notAfter);
  }
  const want = normalizeSerial(serial);
  const alreadyRevoked = rows.some((r) => normalizeSerial(r.serial) === want && r.status === 'R');
  if (!alreadyRevoked) {
    const now = indexTime(new Date());
    updateIndex(opts.dir, (all) => {
      const found = all.some((r) => normalizeSerial(r.serial) === want);
      if (!found) return [...all, { status: 'R', expiry, revoked: now, serial, file: 'unknown', subject: `/CN=${name}` }];
      return all.map((r) => (normalizeSerial(r.serial) === want ? { ...r, status: 'R', revoked: now } : r));
    });
  }
  return { ...(await writeCrl(opts.dir)), serial, name, alreadyRevoked };
}

export interface RenewOptions {
  dir: string;
  name: string;
  days?: number;
  /** Also revoke the old certificate now (for a key that leaked; else revoke it once the new one is installed). */
  revokeOld?: boolean;
}

export interface RenewResult extends IssuedCert {
  /** The previous certificate and key, renamed to `<name>.pem.old` / `<name>-key.pem.old`; `revoked`: by --revoke-old or before. */
  old: IssuedFiles & { serial: string; revoked: boolean };
  /** The CRL written by --revoke-old. */
  crl?: string;
}

/**
 * Issues `<name>`'s certificate again (new key, new serial) with the SANs and usages of the
 * current one, which is kept as `<name>.pem.old` (key: `<name>-key.pem.old`) and stays valid
 * until it expires or is revoked: the node keeps working until the new files are installed.
 * Refuses when `.old` files are already there, rather than overwrite them.
 */
export async function certsRenew(options: RenewOptions): Promise<RenewResult> {
  const opts = { ...options, dir: resolve(options.dir) };
  const name = checkName(opts.name, '--name');
  caFiles(opts.dir);
  const days = checkDays(opts.days);
  const cert = join(opts.dir, `${name}.pem`);
  const key = join(opts.dir, `${name}-key.pem`);
  if (!existsSync(cert) || !existsSync(key)) {
    throw new FfError('NOT_FOUND', `${cert} or ${key} does not exist: nothing to renew`, { hint: `issue one with \`freezeframe certs issue --name ${name} --dir ${opts.dir}\`` });
  }
  const old = { cert: `${cert}.old`, key: `${key}.old` };
  const existing = [old.cert, old.key].filter((f) => existsSync(f));
  if (existing.length > 0) {
    throw new FfError('ALREADY_EXISTS', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''} (from an earlier renew); not overwriting`, {
      hint: `revoke that certificate (\`freezeframe certs revoke --cert ${old.cert} --dir ${opts.dir}\`) if that is not done, then remove the .old files`,
    });
  }
  const info = await certInfo(cert);
  if (info.name !== name) throw new FfError('FAILED_PRECONDITION', `${cert} names '${info.name}', not '${name}'`);
  if (info.otherSans.length > 0) {
    throw new FfError('FAILED_PRECONDITION', `${cert} has names \`certs issue\` does not make (${info.otherSans.join(', ')}): issue the new certificate by hand`);
  }
  renameSync(cert, old.cert);
  renameSync(key, old.key);
  let issued: IssuedCert;
  try {
    issued = await certsIssue({ dir: opts.dir, name, dns: info.dns.filter((d) => d !== name), ips: info.ips, clientOnly: !info.serverAuth, days });
  } catch (e) {
    renameSync(old.cert, cert);
    renameSync(old.key, key);
    throw e;
  }
  const revoked = opts.revokeOld ? await certsRevoke({ dir: opts.dir, cert: old.cert }) : undefined;
  const wasRevoked = readIndex(opts.dir).some((r) => r.status === 'R' && normalizeSerial(r.serial) === normalizeSerial(info.serial));
  return { ...issued, old: { ...old, serial: info.serial, revoked: wasRevoked }, ...(revoked ? { crl: revoked.crl } : {}) };
}
