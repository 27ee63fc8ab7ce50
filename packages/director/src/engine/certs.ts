import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { FfError, checkName, findBinary, run } from '@freezeframe/common';

// A small private CA made with the system openssl (no certificate library to trust or
// update): EC P-256 keys, the CA signs one certificate per node and one for the director.
// The common name is the identity everything checks; SANs are there for other TLS clients.

const TIMEOUT_MS = 30_000;
const CA_DAYS = 3650;
const LEAF_DAYS = 825;

export interface IssuedFiles {
  cert: string;
  key: string;
}

export interface CaFiles extends IssuedFiles {
  director: IssuedFiles;
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

/** Creates ca.pem/ca-key.pem and director.pem/director-key.pem (CN=director) in `dir`. */
export async function certsInit(dir: string): Promise<CaFiles> {
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
  return { cert, key, director };
}

export interface IssueOptions {
  dir: string;
  name: string;
  ips?: string[];
  dns?: string[];
  /** The director's certificate only ever acts as a client. */
  clientOnly?: boolean;
}

/** Issues `<name>.pem`/`<name>-key.pem` (CN=name, SANs: name, dns, ips), signed by the CA in `dir`. */
export async function certsIssue(opts: IssueOptions): Promise<IssuedFiles> {
  const name = checkName(opts.name, '--name');
  const caCert = join(opts.dir, 'ca.pem');
  const caKey = join(opts.dir, 'ca-key.pem');
  if (!existsSync(caCert) || !existsSync(caKey)) {
    throw new FfError('NOT_FOUND', `no CA in ${opts.dir} (ca.pem and ca-key.pem)`, { hint: `run \`freezeframe certs init --dir ${opts.dir}\` first` });
  }
  for (const ip of opts.ips ?? []) if (!isIP(ip)) throw new FfError('INVALID_ARGUMENT', `--ip ${JSON.stringify(ip)} is not an IP address`);
  for (const d of opts.dns ?? []) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(d)) {
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
      '-days', String(LEAF_DAYS), '-sha256', '-extfile', extFile, '-extensions', 'v3', '-out', cert,
    ]);
  } catch (e) {
    rmSync(key, { force: true });
    rmSync(cert, { force: true });
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { cert, key };
}
