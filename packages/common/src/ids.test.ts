import { describe, expect, it } from 'vitest';
import { checkBackupId, checkName, entryName, newBackupId, parseDuration } from './ids.js';

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
