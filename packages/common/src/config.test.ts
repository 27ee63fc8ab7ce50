import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema, inventorySchema, loadAgentConfig, loadInventory, parseConfig } from './config.js';
import { FfError } from './errors.js';

const examples = join(import.meta.dirname, '../../../examples');

describe('sample configs', () => {
  const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));
  it('has samples', () => expect(files.length).toBeGreaterThan(3));
  for (const f of files) {
    it(`${f} is valid`, () => {
      const load = f.startsWith('inventory') ? loadInventory : loadAgentConfig;
      expect(() => load(join(examples, f))).not.toThrow();
    });
  }
});

describe('the commented replicate: block of examples/inventory.yaml', () => {
  it('is a valid inventory once uncommented, and the remote example names the example target', () => {
    const text = readFileSync(join(examples, 'inventory.yaml'), 'utf8');
    const at = text.indexOf('# replicate:');
    expect(at).toBeGreaterThan(0);
    const tmp = mkdtempSync(join(tmpdir(), 'ff-inv-'));
    try {
      const file = join(tmp, 'inventory.yaml');
      writeFileSync(file, text.slice(0, at) + text.slice(at).replace(/^# /gm, ''));
      const inv = loadInventory(file);
      expect(inv.replicate).toEqual({ to: [{ name: 'offsite-target', address: '203.0.113.7:7450', retention: { last: 30, daily: 30, weekly: 12, monthly: 24 } }], after: 'backup' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const remote = loadAgentConfig(join(examples, 'agent-target-remote-zfs.yaml'));
    expect(remote.target).toMatchObject({ kind: 'zfs', replicaOf: 'backup-target' });
    expect(loadAgentConfig(join(examples, 'agent-target-zfs.yaml')).name).toBe('backup-target');
  });
});

describe('invalid configs', () => {
  const dir = join(examples, 'invalid');
  for (const f of readdirSync(dir)) {
    it(`${f} fails naming the file and the key`, () => {
      const text = readFileSync(join(dir, f), 'utf8');
      const key = /^# expect: (\S+)/m.exec(text)?.[1];
      expect(key, 'fixture names the expected key').toBeDefined();
      const load = f.startsWith('inventory') ? loadInventory : loadAgentConfig;
      let err: unknown;
      try {
        load(join(dir, f));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FfError);
      expect((err as FfError).code).toBe('CONFIG_INVALID');
      expect((err as FfError).message).toContain(`${join(dir, f)}: ${key}`);
    });
  }
});

describe('config details', () => {
  it('resolves relative TLS paths against the config folder and applies defaults', () => {
    const cfg = loadAgentConfig(join(examples, 'agent-target-zfs.yaml'));
    expect(cfg.tls.ca).toBe('/etc/freezeframe/ca.pem');
    expect(cfg.authorizedDirectors).toEqual(['director']);
    expect(cfg.allowRestore).toBe(false);
    const inv = loadInventory(join(examples, 'inventory.yaml'));
    expect(inv.tls.ca).toBe(join(examples, 'pki/ca.pem'));
    expect(inv.tls.crl).toBe(join(examples, 'pki/crl.pem'));
    expect(inv.freeze.lease).toBe(30_000);
  });
  it('sources: refuses a volume name with @+, .., a NUL or a slash, two volumes sharing a folder, and source: beside sources:, naming the key', () => {
    const base = 'name: n1\nlisten: 127.0.0.1:1\ntls: { ca: a, cert: b, key: c }\n';
    const refused = (yaml: string) => {
      try {
        parseConfig(agentConfigSchema, base + yaml, 'a.yaml');
      } catch (e) {
        return (e as FfError).message;
      }
      return 'accepted';
    };
    for (const bad of ['"a@+b"', '".."', '"a..b"', '"a\\0b"', '"a/b"', '""']) {
      expect(refused(`sources:\n  - { name: ok, kind: dir, volume: /srv/a }\n  - { name: ${bad}, kind: dir, volume: /srv/b }\n`), bad).toMatch(/^a\.yaml: sources\.1\.name: must be a volume name/);
    }
    expect(refused('sources:\n  - { name: a, kind: dir, volume: /srv/a/b }\n  - { name: b, kind: dir, volume: /srv/a+b }\n')).toBe("a.yaml: sources.1.volume: volume /srv/a+b is also sources[0]'s");
    expect(refused('sources:\n  - { name: a, kind: dump, volume: /srv/d, dumps: [{ name: x, argv: [/bin/true], output: x }] }\n  - { name: b, kind: dump, volume: /srv/d/, dumps: [{ name: x, argv: [/bin/true], output: x }] }\n')).toContain('sources.1.volume');
    expect(refused('source: { kind: dir, volume: /srv/a }\nsources:\n  - { name: b, kind: dir, volume: /srv/b }\n')).toBe('a.yaml: sources: use either source: (one volume) or sources: (several), not both');
    expect(refused('sources:\n  - { name: a, kind: dir, volume: /srv/a }\n  - { name: b, kind: dir, volume: /srv/b }\n')).toBe('accepted');
  });
  it('leaveOut: ACLs and xattrs of a file tree, each at most once; not on kinds whose files carry none', () => {
    const base = 'name: n1\nlisten: 127.0.0.1:1\ntls: { ca: a, cert: b, key: c }\n';
    const parsed = (yaml: string) => parseConfig(agentConfigSchema, base + yaml, 'a.yaml');
    expect(parsed('source: { kind: dir, volume: /srv/a, leaveOut: [acls, xattrs] }\n').source).toMatchObject({ leaveOut: ['acls', 'xattrs'] });
    expect(parsed('sources:\n  - { name: a, kind: btrfs, volume: /srv/a, snapshotMount: /srv/s, leaveOut: [xattrs] }\n').sources?.[0]).toMatchObject({ leaveOut: ['xattrs'] });
    expect(() => parsed('source: { kind: dir, volume: /srv/a, leaveOut: [owners] }\n')).toThrow(/a\.yaml: source\.leaveOut\.0: Invalid enum value/);
    expect(() => parsed('source: { kind: dir, volume: /srv/a, leaveOut: [acls, acls] }\n')).toThrow(/a\.yaml: source\.leaveOut: names a class twice/);
    expect(() => parsed('source: { kind: dump, volume: /srv/d, leaveOut: [acls], dumps: [{ name: x, argv: [/bin/true], output: x }] }\n')).toThrow(/leaveOut/);
  });
  it('names a missing file', () => {
    expect(() => loadAgentConfig('/nonexistent/agent.yaml')).toThrow(/\/nonexistent\/agent.yaml: cannot read: ENOENT/);
  });
  it('names broken YAML', () => {
    expect(() => parseConfig(agentConfigSchema, 'name: [', 'x.yaml')).toThrow(/x.yaml: not valid YAML/);
  });
  it('defaults the docker socket and cgroup root', () => {
    const cfg = parseConfig(
      agentConfigSchema,
      'name: a\nlisten: 127.0.0.1:0\ntls: {ca: c, cert: c, key: k}\nfreeze: {kind: docker}\n',
      'a.yaml',
    );
    expect(cfg.freeze).toEqual({ kind: 'docker', socket: '/var/run/docker.sock', labels: [] });
    const inv = parseConfig(inventorySchema, 'deployment: d\ntls: {ca: c, cert: c, key: k}\nnodes: [{name: a, address: "h:1"}]\n', 'i.yaml');
    expect(inv.transfer.concurrency).toBe(1);
  });
});
