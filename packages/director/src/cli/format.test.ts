import { FfError } from '@freezeframe/common';
import { describe, expect, it } from 'vitest';
import { formatError, table, terminalText } from './format.js';
import { progressPrinter } from './progress.js';

const EVIL = 'a\x1b]0;title\x07b\x1b[2K\rc\x9b2Jd\x7f\x00e';

describe('terminalText', () => {
  it('removes C0 (but newline and tab), ESC, DEL and C1; keeps the printable text', () => {
    expect(terminalText(EVIL)).toBe('a]0;titleb[2Kc2Jde');
    expect(terminalText('line 1\n\tline 2 é ✓')).toBe('line 1\n\tline 2 é ✓');
  });

  it('single-line: newlines and tabs become spaces', () => {
    expect(terminalText('x\n  alpha  ok\ty', false)).toBe('x   alpha  ok y');
  });

  it('table cells cannot add rows or controls; formatError keeps its lines, drops controls', () => {
    const t = table(['node', 'status'], [['alpha', `PROBLEM\nbeta   ok${EVIL}`]]);
    expect(t.split('\n')).toHaveLength(2);
    expect(t).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    const e = formatError(new FfError('UNAVAILABLE', `alpha: ${EVIL}`, { hint: 'retry' }));
    expect(e).toBe('error UNAVAILABLE: alpha: a]0;titleb[2Kc2Jde\nhint: retry');
  });

  it('progress lines from agent text carry no control character but the printer\'s own', () => {
    let out = '';
    const p = progressPrinter({ write: (s) => (out += s), isTTY: true });
    p({ type: 'node', phase: 'transfer', node: 'src-a', status: 'start' });
    p({ type: 'node', phase: 'transfer', node: 'src-a', status: 'failed', detail: `x\n  transfer src-a: done${EVIL}` });
    p({ type: 'warning', node: 'src-a', message: EVIL });
    p.finish();
    // the printer's own: cursor moves and erasures (CSI); an agent's ESC never gets through
    const own = out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(own).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(own).toContain('transfer src-a: FAILED: x   transfer src-a: done');
  });
});
