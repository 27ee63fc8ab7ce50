import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { Command } from 'commander';
import { FfError, parseDuration, type Inventory } from '@freezeframe/common';
import { scheduleInstall, scheduleList, scheduleRemove, type ScheduleEntry, type ScheduleInstallResult, type ScheduledJob } from '../engine/schedule.js';

// `freezeframe schedule install|list|remove`: the commander wiring and the human output; the
// units themselves are engine/schedule.ts's.

export interface ScheduleCliContext {
  io: { stdout: { write(s: string): void }; stderr: { write(s: string): void }; env: Record<string, string | undefined> };
  emit<T>(json: boolean, data: T, toText: (d: T) => string): void;
  /** The inventory's path as given (-i or FREEZEFRAME_INVENTORY) and the loaded inventory. */
  inventory(): { file: string; inv: Inventory };
}

/**
 * The command a unit runs: `freezeframe` from PATH (its absolute entries only) when there is
 * one, else this very process (node and its script), so ExecStart= names a real program.
 */
export function freezeframeCommand(env: Record<string, string | undefined>, argv1 = process.argv[1]): string[] {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, 'freezeframe');
    try {
      accessSync(candidate, constants.X_OK);
      return [candidate];
    } catch {
      // not in this folder
    }
  }
  if (!argv1) throw new FfError('FAILED_PRECONDITION', 'cannot tell where the freezeframe command is', { hint: 'put freezeframe on PATH (scripts/install-commands.sh)' });
  return [process.execPath, realpathSync(argv1)];
}

const entryLine = (u: ScheduleEntry) =>
  `${u.timer.padEnd(28)} ${u.enabled ? 'enabled ' : 'disabled'} ${u.schedule}${u.schedule !== u.onCalendar ? ` (OnCalendar=${u.onCalendar})` : ''}` +
  `${u.randomizedDelaySec ? `, random delay up to ${u.randomizedDelaySec} s` : ''}${u.nextElapse ? `; next ${u.nextElapse}` : ''}\n` +
  `${''.padEnd(29)}runs ${u.execStart}`;

export function renderScheduleInstall(r: ScheduleInstallResult): string {
  return [
    ...r.units.map(entryLine),
    `wrote ${r.files.join(', ')}`,
    r.enabled ? `enabled and started ${r.units.map((u) => u.timer).join(', ')}` : `to enable, run:\n${r.next.map((c) => `  ${c}`).join('\n')}`,
    `each run's exit status and log: journalctl -u ${r.units.map((u) => u.service).join(' -u ')}`,
  ].join('\n');
}

export function renderScheduleList(r: { dir: string; units: ScheduleEntry[] }): string {
  if (r.units.length === 0) return `no freezeframe timers in ${r.dir} (freezeframe schedule install --backup "daily 02:00")`;
  return r.units.map(entryLine).join('\n');
}

/** Adds `schedule` and its subcommands to `program`; jobs are offered only when `program` has their command. */
export function addScheduleCommands(program: Command, ctx: ScheduleCliContext): void {
  const out = (s: string) => ctx.io.stdout.write(s);
  const err = (s: string) => ctx.io.stderr.write(s);
  const schedule = program.command('schedule').description('run backups unattended: systemd service and timer units for the director');
  schedule.exitOverride().configureOutput({ writeOut: out, writeErr: err });
  schedule
    .command('install')
    .description('write (and where systemd runs, enable) a service and a timer per job; the service runs the command with this inventory')
    .requiredOption('--backup <schedule>', 'when to back up: "daily 02:00", "weekly sun 03:30", "hourly", or a systemd calendar expression')
    .option('--drill <schedule>', 'when to run `freezeframe drill latest` (a restore drill of the newest backup; weekly is usual)')
    .option('--replicate <schedule>', 'when to run `freezeframe replicate` (copies to the remote targets of replicate:; after the backup, e.g. "daily 04:00")')
    .option('--deep <schedule>', 'when to run `freezeframe backup --deep` (a backup comparing every file by content, which finds what the size-and-time check skips; monthly is usual)')
    .option('--randomized-delay <duration>', 'start each run up to this much later, at random (RandomizedDelaySec=, e.g. 10m)')
    .option('--dir <dir>', 'folder for the units (default /etc/systemd/system; elsewhere nothing is enabled)')
    .option('--name <name>', 'name this set of units freezeframe-<name>-<job> (one set per deployment when this director runs several)')
    .option('--no-enable', 'only write the units: do not run systemctl daemon-reload and enable --now')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { backup: string; drill?: string; replicate?: string; deep?: string; randomizedDelay?: string; dir?: string; name?: string; enable: boolean; json?: boolean }) => {
      let randomizedDelayMs: number | undefined;
      if (o.randomizedDelay !== undefined) {
        try {
          randomizedDelayMs = parseDuration(o.randomizedDelay);
        } catch (e) {
          throw new FfError('INVALID_ARGUMENT', `--randomized-delay: ${(e as Error).message}`, { details: { field: '--randomized-delay' } });
        }
      }
      const { file, inv } = ctx.inventory();
      const available = program.commands.map((c) => c.name());
      const jobs: Partial<Record<ScheduledJob, string>> = {
        backup: o.backup,
        ...(o.drill !== undefined ? { drill: o.drill } : {}),
        ...(o.replicate !== undefined ? { replicate: o.replicate } : {}),
        ...(o.deep !== undefined ? { deep: o.deep } : {}),
      };
      const r = await scheduleInstall({
        inventory: resolve(file),
        deployment: inv.deployment,
        jobs,
        available,
        command: freezeframeCommand(ctx.io.env),
        ...(randomizedDelayMs !== undefined ? { randomizedDelayMs } : {}),
        ...(o.dir !== undefined ? { dir: resolve(o.dir) } : {}),
        ...(o.name !== undefined ? { name: o.name } : {}),
        enable: o.enable,
      });
      ctx.emit(!!o.json, r, renderScheduleInstall);
    });
  schedule
    .command('list')
    .description('list the timers schedule install wrote: schedule, enabled, next run, command')
    .option('--dir <dir>', 'folder of the units (default /etc/systemd/system)')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { dir?: string; json?: boolean }) => {
      ctx.emit(!!o.json, await scheduleList(o.dir !== undefined ? { dir: resolve(o.dir) } : {}), renderScheduleList);
    });
  schedule
    .command('remove')
    .description('disable and delete the units of one job (backup, drill, replicate, deep), or of every job')
    .argument('[job]', 'backup, drill, replicate or deep (default: every job)')
    .option('--dir <dir>', 'folder of the units (default /etc/systemd/system)')
    .option('--name <name>', 'the set install --name wrote (default: the units without a name)')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (job: string | undefined, o: { dir?: string; name?: string; json?: boolean }) => {
      const r = await scheduleRemove({ ...(o.dir !== undefined ? { dir: resolve(o.dir) } : {}), ...(job !== undefined ? { job } : {}), ...(o.name !== undefined ? { name: o.name } : {}) });
      ctx.emit(!!o.json, r, (x) => (x.removed.length > 0 ? `removed ${x.removed.join(', ')}` : `no freezeframe units to remove in ${x.dir}`));
    });
}
