import type { Command } from 'commander';
import { FfError, parseSamplePercent, type Inventory } from '@freezeframe/common';
import type { EventSink } from '../engine/core/types.js';
import { drill, type DrillResult } from '../engine/drill.js';
import type { progressPrinter } from './progress.js';
import { renderDrill } from './render.js';

// `freezeframe drill`: the commander wiring; the flow is engine/drill.ts's, the output render.ts's.

type Printer = ReturnType<typeof progressPrinter> | undefined;

export interface DrillCliContext {
  /** A command with `--json` and the program's output and exit handling. */
  cmd(name: string, description: string): Command;
  emit<T>(json: boolean, data: T, toText: (d: T) => string): void;
  inventory(): Inventory;
  progress(json: boolean): Printer;
  /** Runs the drill with the run's id said first and SIGINT/SIGTERM turned into its AbortSignal. */
  runInForeground<T>(kind: 'drill', json: boolean, p: Printer, fn: (signal: AbortSignal | undefined, onEvent: EventSink) => Promise<T>): Promise<T>;
  /** Exits 1 after the result was printed (the drill found differences). */
  fail(): never;
}

/** `--sample 10%` (or `10`) as a number in (0, 100]; INVALID_ARGUMENT names the option. */
export function parseSampleOption(v: string): number {
  const p = parseSamplePercent(v);
  if (p === undefined) {
    throw new FfError('INVALID_ARGUMENT', `--sample ${JSON.stringify(v.slice(0, 40))} is not a share of the files: give more than 0% and at most 100%, e.g. 10%`, { details: { field: '--sample' } });
  }
  return p;
}

export function addDrillCommand(ctx: DrillCliContext): void {
  ctx
    .cmd('drill', "restore a backup (or a sample of its files) into a scratch folder on the inventory's drill node, compare every file with the checksums recorded at backup time, remove the folder")
    .argument('[id]', 'backup id or latest', 'latest')
    .option('--sample <share>', "restore and check only about this share of the files, chosen at random (e.g. 10%; default: the inventory's drill.sample, else the whole backup)")
    .action(async (id: string, o: { json?: boolean; sample?: string }) => {
      const samplePercent = o.sample !== undefined ? parseSampleOption(o.sample) : undefined;
      const inv = ctx.inventory();
      const p = ctx.progress(!!o.json);
      let r: DrillResult;
      try {
        r = await ctx.runInForeground('drill', !!o.json, p, (signal, onEvent) =>
          drill(inv, { backup: id, ...(samplePercent !== undefined ? { samplePercent } : {}), ...(signal ? { signal } : {}), onEvent }),
        );
      } finally {
        p?.finish();
      }
      ctx.emit(!!o.json, r, renderDrill);
      if (!r.ok) ctx.fail();
    });
}
