/**
 * The keys of `j` (a JSON file a target wrote beside a backup) that hold finite numbers; others
 * are left out, as an older version's file or a hand-edited one may lack or mistype them.
 */
export function finiteFields<K extends string>(j: Record<string, unknown>, keys: readonly K[]): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) {
    const v = j[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  }
  return out;
}
