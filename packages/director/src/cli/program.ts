import { Command, CommanderError, Option } from 'commander';
import { resolve } from 'node:path';
import { FfError, VERSION, checkBackupId, isFfError, parseDuration, type Inventory } from '@freezeframe/common';
import { LEAF_DAYS, certsInit, certsIssue, certsRenew, certsRevoke, writeCrl, type CrlResult } from '../engine/certs.js';
import { backup, unusedBackupId } from '../engine/backup.js';
import { cleanup } from '../engine/cleanup.js';
import { openInventory } from '../engine/core/inventory.js';
import { asFfError } from '../engine/core/phases.js';
import { stateDirOf, unusedRunId } from '../engine/core/records.js';
import type { EventSink } from '../engine/core/types.js';
import { runDemo } from '../engine/demo.js';
import { healthReport } from '../engine/health.js';
import { restoreKeyspace } from '../engine/keyspace.js';
import { list } from '../engine/list.js';
import { pause, unpause } from '../engine/pause.js';
import { prune } from '../engine/prune.js';
import { restore } from '../engine/restore.js';
import { restorePlan } from '../engine/restore-plan.js';
import { mountBackup, umountBackup } from '../engine/mount.js';
import { checkScopeOptions } from '../engine/restore-scope.js';
import { startServices, stopServices } from '../engine/services.js';
import { show } from '../engine/show.js';
import { status } from '../engine/status.js';
import { verify } from '../engine/verify.js';
import { DETACHED_LOG_ENV, startDetached } from './detach.js';
import { addDrillCommand } from './drill.js';
import { addReplicateCommand } from './replicate.js';
import { formatError, terminalText } from './format.js';
import { progressPrinter } from './progress.js';
import { addScheduleCommands } from './schedule.js';
import * as render from './render.js';
import { nagios, renderHealthReport } from './render-health.js';
import { SIGNAL_EXIT, watchRunSignals, type SignalSource } from './signals.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: { write(s: string): void; isTTY?: boolean };
  stderr: { write(s: string): void; isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  /** The process's signals, for backup and restore (SIGINT/SIGTERM stop cleanly, SIGHUP is ignored); none in tests. */
  signals?: { source: SignalSource; exit(code: number): void };
  /** Asks the person at the terminal and resolves with the answer; absent unless stdin and stderr are terminals. */
  ask?: (question: string) => Promise<string>;
}

const EXIT_HELP = `
Exit codes:
  0  ok
  1  failed (a node, a phase or a verification failed; the error names the node and cause)
  2  usage or config error (bad arguments, unreadable or invalid inventory)
  130, 143  a backup or restore stopped by SIGINT or SIGTERM (cleaned up; the record says incomplete)

The inventory comes from -i/--inventory or FREEZEFRAME_INVENTORY.
Every command takes --json and then prints one JSON object on stdout.`;

/** The exit code of a run a signal stopped (its error says which), else undefined. */
function signalExit(e: FfError): number | undefined {
  const sig = e.details?.interrupted;
  return e.code === 'CANCELLED' && (sig === 'SIGINT' || sig === 'SIGTERM') ? SIGNAL_EXIT[sig] : undefined;
}

/** Usage errors (exit 2): bad arguments or configuration, nothing was attempted. */
function isUsageError(e: FfError): boolean {
  return e.code === 'INVALID_ARGUMENT' || e.code === 'CONFIG_INVALID';
}

/** Thrown by handlers that produced data but must exit non-zero (failed health, failed demo). */
class SoftFailure extends Error {}

/** Thrown by handlers that must exit with a specific code (health --nagios: 0/1/2/3). */
class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}

const splitList = (v: string, prev: string[] = []) => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

/**
 * Builds the command tree. Handlers return data; `emit` prints it as JSON or through the
 * command's renderer. Runs in-process so tests can drive it without a terminal.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command('freezeframe');
  const out = (s: string) => io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  // human output holds agents' text: through terminalText, always (JSON escapes controls itself)
  const human = (s: string) => out(terminalText(s));

  program
    .description('consistent point-in-time backups of a whole deployment, driven over mutual TLS')
    .version(VERSION)
    .option('-i, --inventory <file>', 'director inventory (default: $FREEZEFRAME_INVENTORY)')
    .addHelpText('after', EXIT_HELP)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const inventory = (): Inventory => {
    return openInventory(program.opts().inventory as string | undefined, io.env.FREEZEFRAME_INVENTORY);
  };
  const progress = (json: boolean) => {
    const tty = !!io.stderr.isTTY;
    if (json && !tty) return undefined;
    return progressPrinter({ write: (s) => io.stderr.write(s), isTTY: tty, get columns() { return io.stderr.columns; } });
  };
  function emit<T>(json: boolean, data: T, toText: (d: T) => string): void {
    if (json) out(JSON.stringify(data, null, 2));
    else human(toText(data));
  }
  const cmd = (name: string, description: string) => {
    const c = program.command(name).description(description).option('--json', 'print the result as JSON');
    c.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
    return c;
  };

  // backup and restore: the run's id on stderr first, its signals handled, --detach
  const runArgs = () => {
    const f = (program.opts().inventory as string | undefined) ?? io.env.FREEZEFRAME_INVENTORY;
    return f ? ['-i', resolve(f)] : [];
  };
  async function runInForeground<T>(kind: 'backup' | 'restore' | 'drill' | 'replicate', json: boolean, p: ReturnType<typeof progress>, fn: (signal: AbortSignal | undefined, onEvent: EventSink) => Promise<T>): Promise<T> {
    let what = kind as string;
    const onEvent: EventSink = (e) => {
      if (e.type === 'run') {
        what = `${kind} ${e.id}`;
        // a printer says it in its own way; --json without a terminal has none, and still says it
        if (!p) io.stderr.write(`${new Date().toISOString()} ${kind} ${e.id} started (deployment ${terminalText(e.deployment, false)})\n`);
      }
      p?.(e);
    };
    const cleanups = { backup: 'thaw, release snapshots, unlock', restore: 'cancel the transfer, deactivate the backup, unlock', drill: 'deactivate the backup, remove the drill folder, unlock', replicate: 'cancel the stream (the remote keeps no partial backup), unlock the remote' };
    const cleanup = { cleanup: cleanups[kind] };
    const watch = io.signals ? watchRunSignals(io.signals.source, { what: () => what, say: (l) => io.stderr.write(`${l}\n`), exitNow: io.signals.exit, ...cleanup }) : undefined;
    try {
      return await fn(watch?.signal, onEvent);
    } finally {
      watch?.dispose();
    }
  }

  cmd('backup', 'back up the whole deployment: preflight, freeze, snapshot, thaw, transfer, tag, release')
    .option('--label <label>', 'suffix for the backup id (a-z, 0-9, -)')
    .option('--resume <id>', 'finish an interrupted backup with the same id, reusing what already arrived')
    .option('--detach', 'run as a process of its own (a systemd unit where systemd runs), print its id and return; see `status`')
    .option('--deep', 'compare every file by content (rsync --checksum), not by size and mtime; reports the files found different')
    .addOption(new Option('--run-id <id>', 'the id --detach chose for this run').hideHelp())
    .action(async (o: { json?: boolean; label?: string; resume?: string; detach?: boolean; runId?: string; deep?: boolean }) => {
      const inv = inventory();
      if (o.detach) {
        if (o.resume) checkBackupId(o.resume, '--resume');
        const id = o.resume ?? (await unusedBackupId(stateDirOf(inv), new Date(), o.label));
        const args = [...runArgs(), 'backup', '--run-id', id, ...(o.resume ? ['--resume', o.resume] : []), ...(o.deep ? ['--deep'] : [])];
        emit(!!o.json, await startDetached({ kind: 'backup', id, deployment: inv.deployment, stateDir: stateDirOf(inv), args, env: io.env }), render.renderDetached);
        return;
      }
      const p = progress(!!o.json);
      try {
        const r = await runInForeground('backup', !!o.json, p, (signal, onEvent) =>
          backup(inv, {
            ...(o.label ? { label: o.label } : {}),
            ...(o.resume ? { resume: o.resume } : {}),
            ...(o.runId ? { id: o.runId } : {}),
            ...(o.deep ? { deep: true } : {}),
            ...(io.env[DETACHED_LOG_ENV] ? { log: io.env[DETACHED_LOG_ENV] } : {}),
            ...(signal ? { signal } : {}),
            onEvent,
          }),
        );
        p?.finish();
        emit(!!o.json, r, render.renderBackup);
      } finally {
        p?.finish();
      }
    });

  cmd('status', 'show the running backup or restore (phase, transfers) from its record, else the last run; asks no agent')
    .option('--follow', 'follow the running one until it ends, then show how it ended (exit 1 unless it succeeded)')
    .action(async (o: { json?: boolean; follow?: boolean }) => {
      const inv = inventory();
      const first = status(inv);
      const followed = first.running?.alive ? first.running.job : undefined;
      if (!o.follow || !followed) {
        emit(!!o.json, first, (x) => render.renderStatus(x));
        return;
      }
      if (!o.json) human(render.renderStatus(first));
      let last = '';
      for (;;) {
        await new Promise((r) => setTimeout(r, 1000));
        const now = status(inv);
        if (now.running?.job.id !== followed.id || !now.running.alive) break;
        const line = render.statusLine(now.running);
        if (!o.json && line !== last) human(`${new Date().toISOString()} ${line}`);
        last = line;
      }
      const end = status(inv);
      emit(!!o.json, end, (x) => render.renderStatus(x));
      const rec = end.last?.id === followed.id ? end.last : end.running?.record;
      if (rec?.result !== 'ok') throw new SoftFailure();
    });

  cmd('list', 'list the backups on the target (or on a remote target of replicate:)')
    .option('--target <name>', 'list the backups of this remote target (one of replicate.to) instead')
    .action(async (o: { json?: boolean; target?: string }) => {
      emit(!!o.json, await list(inventory(), o.target !== undefined ? { target: o.target } : {}), render.renderList);
    });

  cmd('show', 'show the run record of a backup or restore (or the manifest stored on the target)')
    .argument('<id>', 'backup id, restore run id, or latest')
    .action(async (id: string, o: { json?: boolean }) => {
      emit(!!o.json, await show(inventory(), id), render.renderShow);
    });

  cmd('restore', 'restore sources from a backup, in maintenance mode (the services of the nodes restored must be down)')
    .argument('<id>', 'backup id or latest')
    .option('--only <sources>', 'restore only these sources: a node (all its volumes) or <node>:<volume> for one volume of its sources: (comma-separated, repeatable)', splitList)
    .option('--keyspace <keyspaces>', 'Cassandra nodes: restore only these keyspaces, in this order (comma-separated, repeatable)', splitList)
    .option('--staging-only', 'Cassandra nodes: only bring the backup into the staging folder (put it in place later with restore-keyspace)')
    .option('--path <paths>', 'with --only naming one source: restore only these files or folders of it (paths inside its volume; comma-separated, repeatable); every other file stays as it is', splitList)
    .option('--to-dir <dir>', "restore into a new folder <dir>/<restore id>/<entry> on each node (inside one of its agent's restoreDirs) instead of the live volume; nothing live is written, no service needs to stop")
    .option('--map <pairs>', 'restore backup sources onto sources of other names: <backup source>=<source>, each a node or <node>:<volume> (comma-separated, repeatable)', splitList)
    .option('--from-deployment <name>', 'restore a backup another deployment took (its manifest names that deployment); such a backup is refused without it')
    .option('--from <name>', "read the backup from this remote target (one of the inventory's replicate.to) instead of the deployment's target")
    .option('--stop-services', 'stop the configured services of the nodes restored first, and start them again after a successful restore')
    .option('--force', 'restore anyway: while services run, when the deployment is not stable, or when the backup fails verification')
    .option('--verify-all', 're-read every file of the backup before restoring; by default a btrfs target whose snapshot is unchanged since it was taken (its file system checksums every block it reads) re-reads a random sample')
    .option('--detach', 'run as a process of its own (a systemd unit where systemd runs), print its id and return; see `status`')
    .option('--dry-run', 'show which volumes would be overwritten with what, and change nothing')
    .option('--yes', 'do not ask before overwriting live data (on a terminal restore shows what it will overwrite and asks)')
    .addOption(new Option('--run-id <id>', 'the id --detach chose for this run').hideHelp())
    .action(async (id: string, o: { json?: boolean; only?: string[]; keyspace?: string[]; stagingOnly?: boolean; force?: boolean; verifyAll?: boolean; stopServices?: boolean; detach?: boolean; runId?: string; dryRun?: boolean; yes?: boolean; path?: string[]; toDir?: string; map?: string[]; fromDeployment?: string; from?: string }) => {
      const inv = inventory();
      const scope = {
        ...(o.path ? { paths: o.path } : {}),
        ...(o.toDir !== undefined ? { toDir: o.toDir } : {}),
        ...(o.map ? { map: o.map } : {}),
        ...(o.fromDeployment !== undefined ? { fromDeployment: o.fromDeployment } : {}),
        ...(o.from !== undefined ? { from: o.from } : {}),
      };
      if (o.dryRun) {
        emit(!!o.json, await restorePlan(inv, { backup: id, ...(o.only ? { only: o.only } : {}), ...scope }), (x) => render.renderRestorePlan(x, { dryRun: true }));
        return;
      }
      // live data is overwritten: a person at a terminal sees what first and says yes (--to-dir overwrites nothing)
      if (!o.yes && !o.json && io.ask && o.toDir === undefined) {
        const plan = await restorePlan(inv, { backup: id, ...(o.only ? { only: o.only } : {}), ...scope });
        io.stderr.write(`${render.renderRestorePlan(plan)}\n`);
        const answer = await io.ask(`Type yes to overwrite ${plan.sources.length === 1 ? 'it' : `these ${plan.sources.length} volumes`} with backup ${plan.backupId}: `);
        if (answer.trim().toLowerCase() !== 'yes') throw new FfError('CANCELLED', `restore of ${plan.backupId} not confirmed; nothing was changed`, { hint: 'answer yes, or pass --yes in scripts; --dry-run shows the plan only' });
        // the same backup as shown, even if a newer one is tagged meanwhile
        id = plan.backupId;
      }
      if (o.detach) {
        if (id !== 'latest') checkBackupId(id, 'backup id');
        // refused here, not in the detached process's log
        checkScopeOptions({ ...(o.only ? { only: o.only } : {}), ...scope, ...(o.keyspace ? { keyspaces: o.keyspace } : {}), ...(o.stagingOnly ? { stagingOnly: true } : {}), ...(o.stopServices ? { stopServices: true } : {}) });
        const runId = await unusedRunId(stateDirOf(inv), 'restore');
        const args = [
          ...runArgs(),
          'restore',
          id,
          '--run-id',
          runId,
          ...(o.only ? ['--only', o.only.join(',')] : []),
          ...(o.keyspace ? ['--keyspace', o.keyspace.join(',')] : []),
          ...(o.stagingOnly ? ['--staging-only'] : []),
          ...(o.stopServices ? ['--stop-services'] : []),
          ...(o.force ? ['--force'] : []),
          ...(o.verifyAll ? ['--verify-all'] : []),
          ...(o.path ? ['--path', o.path.join(',')] : []),
          ...(o.toDir !== undefined ? ['--to-dir', o.toDir] : []),
          ...(o.map ? ['--map', o.map.join(',')] : []),
          ...(o.fromDeployment !== undefined ? ['--from-deployment', o.fromDeployment] : []),
          ...(o.from !== undefined ? ['--from', o.from] : []),
        ];
        emit(!!o.json, await startDetached({ kind: 'restore', id: runId, deployment: inv.deployment, stateDir: stateDirOf(inv), args, env: io.env }), render.renderDetached);
        return;
      }
      const p = progress(!!o.json);
      try {
        const r = await runInForeground('restore', !!o.json, p, (signal, onEvent) => restore(inv, {
          backup: id,
          ...(o.runId ? { id: o.runId } : {}),
          ...(io.env[DETACHED_LOG_ENV] ? { log: io.env[DETACHED_LOG_ENV] } : {}),
          ...(signal ? { signal } : {}),
          ...(o.only ? { only: o.only } : {}),
          ...(o.keyspace ? { keyspaces: o.keyspace } : {}),
          ...(o.stagingOnly ? { stagingOnly: true } : {}),
          ...(o.force ? { force: true } : {}),
          ...(o.verifyAll ? { verifyAll: true } : {}),
          ...(o.stopServices ? { stopServices: true } : {}),
          ...scope,
          onEvent,
          ...(p ? { onStep: (node: string, s: { step: string; keyspace: string; table: string; detail: string }) => p.note(`${node} ${s.step}${s.keyspace ? ` ${s.keyspace}${s.table ? `.${s.table}` : ''}` : ''}: ${s.detail}`) } : {}),
        }));
        p?.finish();
        emit(!!o.json, r, render.renderRestoreRun);
      } finally {
        p?.finish();
      }
    });

  cmd('health', 'check every agent: reachable, version and clock skew, free space, pool, Docker, Cassandra, services, locks, freezes')
    .option('--nagios', 'print one monitoring-plugin status line; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
    .option('--max-age <duration>', "with --nagios: WARNING when the newest complete backup is older, CRITICAL at twice that ; 0: no age check (without it: the inventory's health.maxAge, 26h)")
    .action(async (o: { json?: boolean; nagios?: boolean; maxAge?: string }) => {
    if (o.nagios) {
      let maxAgeMs: number | undefined;
      try {
        if (o.maxAge !== undefined) maxAgeMs = parseDuration(o.maxAge);
      } catch (e) {
        human(`FREEZEFRAME UNKNOWN - --max-age: ${(e as Error).message}`);
        throw new ExitWith(3);
      }
      const n = await nagios(inventory, maxAgeMs !== undefined ? { maxAgeMs } : {});
      if (o.json) out(JSON.stringify(n, null, 2));
      else human(n.line);
      throw new ExitWith(n.code);
    }
    const r = await healthReport(inventory());
    emit(!!o.json, r, renderHealthReport);
    if (!r.ok) throw new SoftFailure();
  });

  cmd('pause', 'pause the applications on every freeze host (they thaw by themselves when the lease ends)')
    .addOption(new Option('--lease <duration>', 'how long the pause may last').default('10m'))
    .action(async (o: { json?: boolean; lease: string }) => {
      let leaseMs: number;
      try {
        leaseMs = parseDuration(o.lease);
      } catch (e) {
        throw new FfError('INVALID_ARGUMENT', `--lease: ${(e as Error).message}`);
      }
      emit(!!o.json, await pause(inventory(), { leaseMs }), render.renderPause);
    });

  cmd('unpause', 'thaw every freeze that any node reports')
    .option('--id <id>', 'only this freeze (backup or pause id)')
    .action(async (o: { json?: boolean; id?: string }) => {
      emit(!!o.json, await unpause(inventory(), o.id ? { id: o.id } : {}), render.renderUnpause);
    });

  cmd('cleanup', 'remove leftovers of interrupted runs on every node (snapshots, mounts, clones, freezes); idempotent')
    .option('--dry-run', 'only list what would be removed')
    .action(async (o: { json?: boolean; dryRun?: boolean }) => {
      const r = await cleanup(inventory(), o.dryRun ? { dryRun: true } : {});
      emit(!!o.json, r, (x) =>
        x.nodes
          .map((n) => `${n.node}: ${n.removed.length ? `${x.dryRun ? 'would remove' : 'removed'} ${n.removed.join(', ')}` : 'nothing left over'}${n.problems.map((pr) => `\n  PROBLEM ${pr}`).join('')}`)
          .join('\n'),
      );
      if (!r.ok) throw new SoftFailure();
    });

  cmd('prune', 'delete the backups the inventory\'s retention policy no longer keeps (backups also prune after each run)')
    .option('--dry-run', 'only print what would be kept and deleted, and why')
    .option('--target <name>', "apply a remote target's retention (its replicate.to[].retention, else the inventory's) on that remote instead")
    .action(async (o: { json?: boolean; dryRun?: boolean; target?: string }) => {
      const r = await prune(inventory(), { ...(o.dryRun ? { dryRun: true } : {}), ...(o.target !== undefined ? { target: o.target } : {}), onEvent: (e) => e.type === 'warning' && io.stderr.write(`warning: ${terminalText(e.message)}\n`) });
      emit(!!o.json, r, render.renderPrune);
      if (!r.ok) throw new SoftFailure();
    });

  cmd('mount', 'make a backup readable on the target for browsing (ZFS: a read-only clone of its own) and print where; umount ends it')
    .argument('<id>', 'backup id or latest')
    .option('--node <target>', 'the target to mount it on (default: the deployment\'s target)')
    .action(async (id: string, o: { json?: boolean; node?: string }) => {
      const r = await mountBackup(inventory(), { backup: id, ...(o.node ? { node: o.node } : {}) });
      emit(!!o.json, r, render.renderMount);
    });

  cmd('umount', 'end what mount made for a backup (a restore never does)')
    .argument('<id>', 'backup id or latest')
    .option('--node <target>', 'the target it is mounted on (default: the deployment\'s target)')
    .action(async (id: string, o: { json?: boolean; node?: string }) => {
      const r = await umountBackup(inventory(), { backup: id, ...(o.node ? { node: o.node } : {}) });
      emit(!!o.json, r, (x) => [...render.warningLines(x.warnings), x.unmounted ? `backup ${x.backupId} unmounted on ${x.target}` : `backup ${x.backupId} was not mounted on ${x.target} (nothing to do)`].join('\n'));
    });

  cmd('verify', 'check a backup against the per-file checksums recorded when it was taken (and the pool on ZFS)')
    .argument('<id>', 'backup id or latest')
    .action(async (id: string, o: { json?: boolean }) => {
      const r = await verify(inventory(), id);
      emit(!!o.json, r, (x) =>
        [
          ...render.warningLines(x.warnings),
          `backup ${x.backupId} on ${x.target}: ${x.ok ? 'OK' : 'FAILED'} (${x.filesChecked} files checked${x.poolState ? `; pool ${x.poolState}` : ''})`,
          ...x.bad.map((b) => `  BAD ${b}`),
          ...x.missing.map((b) => `  MISSING ${b}`),
          ...x.problems.map((b) => `  PROBLEM ${b}`),
        ].join('\n'),
      );
      if (!r.ok) throw new SoftFailure();
    });

  const commandDeps = {
    cmd,
    emit,
    inventory,
    progress,
    runInForeground,
    fail: () => {
      throw new SoftFailure();
    },
  };
  addReplicateCommand(commandDeps);
  addDrillCommand(commandDeps);

  cmd('restore-keyspace', 'restore Cassandra keyspaces on one node: transfer, stop, clear commit log, replace sstables, start, wait, repair')
    .argument('<id>', 'backup id or latest')
    .requiredOption('--node <node>', 'the Cassandra node')
    .requiredOption('--keyspace <keyspaces>', 'keyspaces, restored in this order (comma-separated, repeatable)', splitList)
    .action(async (id: string, o: { json?: boolean; node: string; keyspace: string[] }) => {
      const inv = inventory();
      const p = progress(!!o.json);
      try {
        const r = await restoreKeyspace(inv, {
          backup: id,
          node: o.node,
          keyspaces: o.keyspace,
          ...(p ? { onEvent: p, onStep: (s) => p.note(`${s.step}${s.keyspace ? ` ${s.keyspace}${s.table ? `.${s.table}` : ''}` : ''}: ${s.detail}`) } : {}),
        });
        p?.finish();
        emit(!!o.json, r, (x) =>
          [
            `restored keyspaces ${x.keyspaces.join(', ')} of backup ${x.backupId} on ${x.node}`,
            ...x.steps.map((s) => `  ${s.step.padEnd(15)} ${s.keyspace ? `${s.keyspace}${s.table ? `.${s.table}` : ''}: ` : ''}${s.detail} (${s.durationMs} ms)`),
            `record: ${x.recordFile}`,
          ].join('\n'),
        );
      } finally {
        p?.finish();
      }
    });

  cmd('stop-services', "stop each node's configured containers and systemd units (in order) and record what was stopped")
    .option('--node <nodes>', 'only these nodes (comma-separated)', splitList)
    .action(async (o: { json?: boolean; node?: string[] }) => {
      emit(!!o.json, await stopServices(inventory(), o.node ? { only: o.node } : {}), (r) => render.renderServices(r, 'stopped'));
    });

  cmd('start-services', 'start again exactly what stop-services stopped (reverse order)')
    .option('--node <nodes>', 'only these nodes (comma-separated)', splitList)
    .action(async (o: { json?: boolean; node?: string[] }) => {
      emit(!!o.json, await startServices(inventory(), o.node ? { only: o.node } : {}), (r) => render.renderServices(r, 'started'));
    });

  const certs = program.command('certs').description('make the private CA and certificates (system openssl)');
  certs.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  certs
    .command('init')
    .description('create ca.pem/ca-key.pem and the director certificate (CN=director)')
    .requiredOption('--dir <dir>', 'folder for the CA and certificates')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { dir: string; json?: boolean }) => {
      emit(!!o.json, await certsInit(o.dir), (r) => `CA: ${r.cert} (key ${r.key})\ndirector: ${r.director.cert} (key ${r.director.key})\nCRL (empty): ${r.crl}: install it on every node and the director as tls.crl`);
    });
  const days = (v: string) => {
    if (!/^[0-9]{1,5}$/.test(v)) throw new FfError('INVALID_ARGUMENT', `--days ${JSON.stringify(v.slice(0, 40))} must be a whole number of days`);
    return Number(v);
  };
  const crlText = (r: CrlResult) =>
    `CRL: ${r.crl} (${r.revoked} revoked, valid until ${r.nextUpdate.slice(0, 10)}): copy it to every node and the director (the file tls.crl names);\n` +
    'running agents and the director read it again when it changes, no restart needed';
  certs
    .command('issue')
    .description('issue a node certificate (CN=name, serverAuth+clientAuth) signed by the CA in --dir')
    .requiredOption('--name <name>', 'node name (the identity the director checks)')
    .option('--ip <address>', 'IP address SAN (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--dns <name>', 'DNS name SAN (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--days <n>', `validity in days (default ${LEAF_DAYS})`, days)
    .requiredOption('--dir <dir>', 'folder holding ca.pem and ca-key.pem')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { name: string; ip?: string[]; dns?: string[]; days?: number; dir: string; json?: boolean }) => {
      const r = await certsIssue({ dir: o.dir, name: o.name, ...(o.ip ? { ips: o.ip } : {}), ...(o.dns ? { dns: o.dns } : {}), ...(o.days !== undefined ? { days: o.days } : {}) });
      emit(!!o.json, r, (x) => `${o.name}: ${x.cert} (key ${x.key}, serial ${x.serial}, valid until ${x.notAfter.slice(0, 10)})`);
    });
  certs
    .command('renew')
    .description('issue a new key and certificate for NAME with the same names; the old files are kept as .old (still valid until revoked)')
    .requiredOption('--name <name>', 'whose certificate (<dir>/<name>.pem)')
    .option('--days <n>', `validity in days (default ${LEAF_DAYS})`, days)
    .option('--revoke-old', 'revoke the old certificate at once (its key leaked), instead of after the new one is installed')
    .requiredOption('--dir <dir>', 'folder holding ca.pem and ca-key.pem')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { name: string; days?: number; revokeOld?: boolean; dir: string; json?: boolean }) => {
      const r = await certsRenew({ dir: o.dir, name: o.name, ...(o.days !== undefined ? { days: o.days } : {}), ...(o.revokeOld ? { revokeOld: true } : {}) });
      emit(!!o.json, r, (x) =>
        [
          `${o.name}: ${x.cert} (key ${x.key}, serial ${x.serial}, valid until ${x.notAfter.slice(0, 10)})`,
          x.old.revoked
            ? `old certificate ${x.old.cert} (serial ${x.old.serial}) is revoked${x.crl ? `: copy ${x.crl} to every node and the director` : ''}; ${o.name} is refused until it has the new files`
            : `old certificate kept as ${x.old.cert} (serial ${x.old.serial}), still valid: install the new files on ${o.name}, then run\n` +
              `  freezeframe certs revoke --cert ${x.old.cert} --dir ${o.dir}\nand copy the CRL to every node and the director`,
        ].join('\n'),
      );
    });
  certs
    .command('revoke')
    .description('revoke a certificate: record it in <dir>/index.txt and write <dir>/crl.pem (signed by the CA)')
    .option('--name <name>', 'the current certificate of this name (<dir>/<name>.pem)')
    .option('--cert <file>', 'this certificate file (e.g. <dir>/<name>.pem.old after a renew)')
    .option('--serial <hex>', 'the certificate with this serial (as issued from <dir>)')
    .requiredOption('--dir <dir>', 'folder holding ca.pem and ca-key.pem')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { name?: string; cert?: string; serial?: string; dir: string; json?: boolean }) => {
      const r = await certsRevoke({ dir: o.dir, ...(o.name !== undefined ? { name: o.name } : {}), ...(o.cert !== undefined ? { cert: o.cert } : {}), ...(o.serial !== undefined ? { serial: o.serial } : {}) });
      emit(!!o.json, r, (x) => `${x.alreadyRevoked ? 'already revoked' : 'revoked'}: ${x.name || '(unknown name)'} (serial ${x.serial})\n${crlText(x)}`);
    });
  certs
    .command('crl')
    .description('write <dir>/crl.pem again from <dir>/index.txt (a fresh one, or the first for a CA made before revocation existed)')
    .requiredOption('--dir <dir>', 'folder holding ca.pem and ca-key.pem')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (o: { dir: string; json?: boolean }) => {
      emit(!!o.json, await writeCrl(o.dir), crlText);
    });

  addScheduleCommands(program, {
    io,
    emit,
    inventory: () => ({ inv: inventory(), file: ((program.opts().inventory as string | undefined) ?? io.env.FREEZEFRAME_INVENTORY)! }),
  });

  cmd('demo', 'run a whole sample deployment on this machine (no root): backup, change, backup, restore, verify')
    .option('--keep', 'keep the temp folder (data, agent logs, records)')
    .action(async (o: { json?: boolean; keep?: boolean }) => {
      const p = progress(!!o.json);
      const s = await runDemo({
        ...(o.keep ? { keep: true } : {}),
        ...(p ? { onEvent: p, onStep: (line: string) => p.note(line) } : {}),
      }).finally(() => p?.finish());
      emit(!!o.json, s, render.renderDemo);
      if (!s.ok) throw new SoftFailure();
    });

  return program;
}

/** Parses argv (as process.argv) and runs the command; resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT_OK;
      if (e.code === 'commander.executeSubCommandAsync') return EXIT_FAILED;
      return EXIT_USAGE;
    }
    if (e instanceof SoftFailure) return EXIT_FAILED;
    if (e instanceof ExitWith) return e.exitCode;
    const err = isFfError(e) ? e : asFfError(e);
    const json = argv.includes('--json');
    if (json) io.stdout.write(JSON.stringify({ ok: false, error: err.toJSON() }, null, 2) + '\n');
    io.stderr.write(formatError(err) + '\n');
    return signalExit(err) ?? (isUsageError(err) ? EXIT_USAGE : EXIT_FAILED);
  }
}
