// A backup's manifest is the JSON the director stored with it when it tagged it (backup.ts,
// `buildManifest`). It comes back from a target agent and may be from an older director, or not
// from one at all; so it is read only here, and only fields of the expected type are kept.

/** One source of a backup, as its manifest records it. */
export interface ManifestSource {
  /** The target's tree for it. */
  entry: string;
  /** `<node>` or `<node>:<volume name>`, as the deployment that took it named it. */
  name?: string;
  node?: string;
  /** rsync's total file size and count when the backup was taken. */
  bytes?: number;
  files?: number;
  /** The source's `leaveOut` setting when the backup was taken (empty: none, or not recorded). */
  leaveOut: string[];
}

const record = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const count = (v: unknown) => (Number.isSafeInteger(v) && (v as number) >= 0 ? (v as number) : undefined);

/** The deployment that took the backup; undefined when the manifest names none. */
export function manifestDeployment(b: { manifest: unknown }): string | undefined {
  return text(record(b.manifest)?.deployment);
}

/** The sources the manifest lists, those with an entry; none when it lists none. */
export function manifestSources(b: { manifest: unknown }): ManifestSource[] {
  const listed = record(b.manifest)?.sources;
  if (!Array.isArray(listed)) return [];
  return listed.flatMap((v: unknown) => {
    const s = record(v);
    const entry = text(s?.entry);
    if (!s || entry === undefined) return [];
    const out: ManifestSource = { entry, leaveOut: Array.isArray(s.leaveOut) ? s.leaveOut.filter((c): c is string => typeof c === 'string') : [] };
    const [name, node, bytes, files] = [text(s.name), text(s.node), count(s.bytes), count(s.files)];
    if (name !== undefined) out.name = name;
    if (node !== undefined) out.node = node;
    if (bytes !== undefined) out.bytes = bytes;
    if (files !== undefined) out.files = files;
    return [out];
  });
}
