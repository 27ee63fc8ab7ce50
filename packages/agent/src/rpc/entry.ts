import { FfError } from '@freezeframe/common';

/** `<source>@+<volume with '/' as '+'>`: the only shape an entry name may have on the wire. */
export const ENTRY_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*@\+[A-Za-z0-9_.+-]*$/;

export function checkEntry(value: unknown, field = 'entry'): string {
  if (typeof value !== 'string' || value.length > 255 || !ENTRY_RE.test(value) || value.includes('..')) {
    throw new FfError('INVALID_ARGUMENT', `${field} ${JSON.stringify(String(value).slice(0, 60))} is not an entry name (<source>@+<volume>)`, {
      details: { field },
    });
  }
  return value;
}
