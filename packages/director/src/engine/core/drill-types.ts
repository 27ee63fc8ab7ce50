import type { ReceiveTicket, SendArgs, StreamOptions, TransferStats } from './types.js';

// A restore drill in the director's domain types (engine/drill.ts): the RPCs of the drill node
// and of the target that a drill uses, and what its run record keeps.

/** About `percent` of the recorded files, chosen by `seed` (the target and the drill node choose the same). */
export interface DrillSample {
  percent: number;
  seed: string;
}

/** The drill node's comparison of the restored files with the checksums recorded at backup time. */
export interface DrillCheckResult {
  ok: boolean;
  /** Files in the backup's checksum record. */
  filesRecorded: number;
  /** Of those, the ones this drill restored: all, or the sample. */
  filesExpected: number;
  /** Expected files found and hashed. */
  filesChecked: number;
  bytesChecked: number;
  /** `<entry>/<path>: why`; each list holds at most 100 names, the totals count them all. */
  different: string[];
  missing: string[];
  extra: string[];
  differentTotal: number;
  missingTotal: number;
  extraTotal: number;
  problems: string[];
  /** Entries found restored. */
  entries: string[];
  durationMs: number;
}

/** What a drill's run record (kind `drill`) says beyond phases and transfers. */
export interface DrillRecord {
  node: string;
  /** The inventory's drill.dir. */
  dir: string;
  /** Where the backup was restored: `<dir>/<drill id>/restored`. */
  folder: string;
  sample?: DrillSample;
  transfer?: TransferStats;
  check?: DrillCheckResult;
  /** The drill's folder was deleted afterwards. */
  removed: boolean;
  /** Folders of earlier drills (interrupted) removed before this one. */
  leftoversRemoved?: string[];
}

export interface OpenDrillArgs {
  drillId: string;
  dir: string;
  backupId: string;
  /** Certificate identity of the target, which sends. */
  peer: string;
}

/** The RPCs of a restore drill; each rejects with an FfError naming the node. */
export interface DrillNode {
  readonly name: string;
  /** Drill node: makes `<dir>/<drill id>` and issues a ticket for the target. */
  openDrill(a: OpenDrillArgs): Promise<ReceiveTicket>;
  /** Target: sends the activated backup (or its sample) to the drill ticket. */
  drillSource(a: SendArgs & { sample?: DrillSample }, opts?: StreamOptions): Promise<TransferStats>;
  /** Drill node: compares what arrived with the checksums recorded at backup time. */
  checkDrill(a: { drillId: string; dir: string; backupId: string; sample?: DrillSample }): Promise<DrillCheckResult>;
  /** Drill node: deletes the drill's folder, or with `leftovers` every other drill folder in dir; returns what it deleted (with `dryRun`, would delete). */
  removeDrill(a: { drillId: string; dir: string; leftovers?: boolean; dryRun?: boolean }): Promise<string[]>;
}
