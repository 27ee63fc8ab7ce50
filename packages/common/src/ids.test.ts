import { describe, expect, it } from 'vitest';
import { backupIdTime, checkBackupId, checkEntry, checkKeyspace, checkName, checkRestoreId, checkRestorePaths, checkSourceSelector, entryName, isHost, isTicket, isZfsDataset, newBackupId, nodeOf, parseDuration } from './ids.js';

const hostile = ['../x', 'a/b', '-oProxyCommand=x', 'x;id', '$(id)', 'a\0b', 'x'.repeat(10 * 1024), '', '..', ' a'];

describe('backup ids', () => {
  it('accepts the documented forms', () => {
    expect(checkBackupId('20220906_082043')).toBe('20220906_082043');
    expect(checkBackupId('20220906_082043-before-upgrade')).toBe('20220906_082043-before-upgrade');
  });
  for (const bad of [...hostile, '20220906_08204', '20220906_082043-', '20220906_082043-UPPER', '20220906_082043/x']) {
    it(`refuses ${JSON.stringify(bad.slice(0, 20))}`, () => {
      expect(() => checkBackupId(bad)).toThrow(/backup_id .* is not a backup id/);
    });
  }
  it('makes ids in UTC with a label', () => {
    expect(newBackupId(new Date(Date.UTC(2022, 8, 6, 8, 20, 43)), 'nightly')).toBe('20220906_082043-nightly');
    expect(() => newBackupId(new Date(), 'Bad Label')).toThrow(/label/);
  });
});

describe('names', () => {
  it('accepts node names', () => {
    expect(checkName('cassandra-1', 'source')).toBe('cassandra-1');
  });
  for (const bad of hostile) {
    it(`refuses ${JSON.stringify(bad.slice(0, 20))} and names the field`, () => {
      expect(() => checkName(bad, 'source')).toThrow(/^source /);
    });
  }
});

describe('helpers', () => {
  it('builds entry names like the operators know them', () => {
    expect(entryName('cassandra-1', '/docker_local')).toBe('cassandra-1@+docker_local');
    expect(entryName('db', '/srv/data/pg/')).toBe('db@+srv+data+pg');
  });
  it('parses durations', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration(2)).toBe(2000);
    expect(() => parseDuration('soon')).toThrow();
  });
});

describe('the other identifiers', () => {
  it('entries: the shape entryName makes, nothing else', () => {
    expect(checkEntry(entryName('src-1', '/srv/app data'.replace(' ', '_')))).toBe('src-1@+srv+app_data');
    for (const bad of [...hostile, 'src', 'a@+../x', 'a@+b/c']) expect(() => checkEntry(bad)).toThrow(/is not an entry name/);
  });
  it('keyspaces: application keyspaces only', () => {
    expect(checkKeyspace('shop', 'keyspace')).toBe('shop');
    expect(() => checkKeyspace('System_Auth', 'keyspace')).toThrow(/system keyspace/);
    for (const bad of hostile) expect(() => checkKeyspace(bad, 'keyspace')).toThrow(/^keyspace /);
  });
  it('tickets, hosts, datasets', () => {
    expect(isTicket('a'.repeat(64))).toBe(true);
    expect(isTicket('A'.repeat(64))).toBe(false);
    expect(isTicket(undefined)).toBe(false);
    for (const h of ['tgt', 'node-1.example.org', '127.0.0.1', '::1', '[::1]']) expect(isHost(h), h).toBe(true);
    for (const h of ['-x', 'a_b', 'a..b', '[::1', ...hostile.filter((x) => x !== '..')]) expect(isHost(h), h).toBe(false);
    expect(isZfsDataset('pool/backup')).toBe(true);
    for (const d of ['pool/../x', 'pool/', '-pool', 'pool@snap']) expect(isZfsDataset(d), d).toBe(false);
  });
  it('sources as commands name them: a node, or <node>:<volume>', () => {
    for (const ok of ['db-1', 'db-1:logs', 'db.example:pg_data-2']) expect(checkSourceSelector(ok, '--only')).toBe(ok);
    for (const bad of [...hostile, 'db-1:', ':logs', 'db-1:a:b', 'db-1:a@+b', 'db-1:..', 'db-1:a.b', 'db-1:a\0b']) {
      expect(() => checkSourceSelector(bad, '--only'), JSON.stringify(bad)).toThrow(/^--only .* is not a source/);
    }
    expect(nodeOf('db-1:logs')).toBe('db-1');
  });
  it('backup ids tell when they were started', () => {
    expect(backupIdTime('20220906_082043-nightly')).toBe(Date.UTC(2022, 8, 6, 8, 20, 43));
    expect(backupIdTime('not-an-id')).toBeUndefined();
  });
});

describe('restore --path', () => {
  const refused = (v: unknown, why: RegExp) =>
    expect(() => checkRestorePaths(v, '--path'), JSON.stringify(v)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(why), details: { field: '--path' } }));

  it('takes relative paths inside the tree, drops a trailing slash and repeats', () => {
    expect(checkRestorePaths(['srv/uploads', 'srv/uploads/', 'a b/c*d[1]?', 'ünï/x\\y', '...', '.hidden/..x'])).toEqual(['srv/uploads', 'a b/c*d[1]?', 'ünï/x\\y', '...', '.hidden/..x']);
  });

  it('refuses absolute, .., ., empty components, control characters and too many, naming the field', () => {
    refused(['/etc'], /^--path "\/etc" is absolute/);
    refused(['../x'], /^--path "\.\.\/x" names '\.\.'/);
    refused(['a/../../x'], /names '\.\.'/);
    refused(['a/./b'], /names '\.'/);
    refused(['.'], /names '\.'/);
    refused(['..'], /names '\.\.'/);
    refused(['a//b'], /empty component/);
    refused([''], /is empty/);
    refused(['/'], /is absolute/);
    refused(['a\0b'], /control character/);
    refused(['a\nb'], /control character/);
    refused(['a\x7fb'], /control character/);
    refused([], /names no path/);
    refused('a', /names no path/);
    refused([42], /is not a path/);
    refused([`${'x'.repeat(256)}/y`], /longer than 255 bytes/);
    refused([Array.from({ length: 2100 }, () => 'ab').join('/')], /too long/);
    refused(Array.from({ length: 65 }, (_, i) => `p${i}`), /65 paths; at most 64/);
    expect(checkRestorePaths(Array.from({ length: 64 }, (_, i) => `p${i}`))).toHaveLength(64);
  });

  it('restore run ids', () => {
    expect(checkRestoreId('restore_20260101_020000')).toBe('restore_20260101_020000');
    for (const bad of ['restore_2026', '../restore_20260101_020000', 'drill_20260101_020000', 42]) {
      expect(() => checkRestoreId(bad), String(bad)).toThrow(expect.objectContaining({ details: { field: 'restore_id' } }));
    }
  });
});
