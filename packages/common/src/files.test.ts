import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileAtomic } from './files.js';

describe('writeFileAtomic', () => {
  const root = mkdtempSync(join(tmpdir(), 'ff-files-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('makes the folder 0700 and the file 0600, and replaces a record without leaving a temp file', async () => {
    const file = join(root, 'state', 'record.json');
    await writeFileAtomic(file, '{"a":1}\n');
    expect(statSync(join(root, 'state')).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(join(root, 'state', 'other'), 'x', { mode: 0o644 });
    await writeFileAtomic(file, '{"a":2}\n');
    expect(readFileSync(file, 'utf8')).toBe('{"a":2}\n');
    expect(readdirSync(join(root, 'state')).sort()).toEqual(['other', 'record.json']);
  });

  it('takes a mode and bytes', async () => {
    const file = join(root, 'b.bin');
    await writeFileAtomic(file, Buffer.from([1, 2, 3]), 0o640);
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
  });
});
