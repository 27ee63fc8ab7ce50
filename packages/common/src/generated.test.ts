import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('committed protocol types match proto/ (regenerated with proto-loader-gen-types)', () => {
  const root = join(import.meta.dirname, '../../..');
  const r = spawnSync(process.execPath, [join(root, 'scripts/gen-proto.mjs'), '--check'], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
});
