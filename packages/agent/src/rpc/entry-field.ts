import { checkEntry } from '@freezeframe/common';

/** An optional `entry` of a request: empty (the node's only volume, or all of them) or a valid entry name. */
export function checkEntryField(entry: string | undefined): string {
  return entry ? checkEntry(entry) : '';
}
