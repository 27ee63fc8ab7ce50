import type { Command } from 'commander';
import type { Inventory } from '@freezeframe/common';
import type { EventSink } from '../engine/core/types.js';
import { replicate, replicateDryRun, type ReplicateResult } from '../engine/replicate.js';
import type { progressPrinter } from './progress.js';
import { renderReplicate, renderReplicatePlan } from './render.js';

// `freezeframe replicate`: the commander wiring; the flow is engine/replicate.ts's, the output render.ts's.

type Printer = ReturnType<typeof progressPrinter> | undefined;

export interface ReplicateCliContext {
  cmd(name: string, description: string): Command;
  emit<T>(json: boolean, data: T, toText: (d: T) => string): void;
  inventory(): Inventory;
  progress(json: boolean): Printer;
  runInForeground<T>(kind: 'replicate', json: boolean, p: Printer, fn: (signal: AbortSignal | undefined, onEvent: EventSink) => Promise<T>): Promise<T>;
  /** Exits 1 after the result was printed. */
  fail(): never;
}

export function addReplicateCommand(ctx: ReplicateCliContext): void {
  ctx
    .cmd('replicate', "copy the target's backups to the remote targets of the inventory's replicate: (oldest first, each incremental from the newest backup both hold), then apply each remote's retention")
    .option('--to <name>', 'only this remote target (one of replicate.to)')
    .option('--dry-run', 'list what would be sent to each remote (with sizes) and what its retention would delete; change nothing')
    .action(async (o: { json?: boolean; to?: string; dryRun?: boolean }) => {
      const inv = ctx.inventory();
      if (o.dryRun) {
        const plan = await replicateDryRun(inv, o.to !== undefined ? { to: o.to } : {});
        ctx.emit(!!o.json, plan, renderReplicatePlan);
        if (!plan.ok) ctx.fail();
        return;
      }
      const p = ctx.progress(!!o.json);
      let r: ReplicateResult;
      try {
        r = await ctx.runInForeground('replicate', !!o.json, p, (signal, onEvent) => replicate(inv, { ...(o.to !== undefined ? { to: o.to } : {}), ...(signal ? { signal } : {}), onEvent }));
      } finally {
        p?.finish();
      }
      ctx.emit(!!o.json, r, renderReplicate);
    });
}
