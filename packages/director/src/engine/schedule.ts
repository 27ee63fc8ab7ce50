import { existsSync, lstatSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { FfError, checkName, errorMessage, findBinary, parseDuration, run, writeFileAtomic } from '@freezeframe/common';

// `freezeframe schedule install|list|remove`: systemd service and timer units that run the
// director's commands unattended (docs/cli.md, "freezeframe schedule"). The units are files this
// module writes and parses itself; systemd (or `systemd-analyze verify`) is their only reader.

/** The commands a timer can run, each with its own pair of units. */
export const SCHEDULED_JOBS = ['backup', 'drill', 'replicate', 'deep'] as const;
export type ScheduledJob = (typeof SCHEDULED_JOBS)[number];

export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
/** The first line of every unit written here: list and remove touch only files that carry it. */
const MARK = '# Written by `freezeframe schedule install`';

/** A schedule string holds only these: no shell, no systemd specifiers (`%`), no quotes, one line. */
const CALENDAR_CHARS = /^[A-Za-z0-9 :*,./~+-]{1,100}$/;
/** Paths written into ExecStart=: nothing systemd would split, expand or unquote. */
const PATH_CHARS = /^\/[A-Za-z0-9_./@+-]{1,4000}$/;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MAX_DELAY_MS = 24 * 3_600_000;

/**
 * What each job's service runs after `freezeframe -i <inventory>`: a drill checks the newest
 * backup; `deep` is a backup that compares every file by content (`backup --deep`), the periodic
 * check of what the quick check skips.
 */
const JOB_ARGS: Record<ScheduledJob, readonly string[]> = { backup: ['backup'], drill: ['drill', 'latest'], replicate: ['replicate'], deep: ['backup', '--deep'] };
/** The director command a job runs (it must exist in this version to be scheduled). */
export const jobCommand = (job: ScheduledJob) => JOB_ARGS[job][0]!;

/** `freezeframe-<job>`, or `freezeframe-<name>-<job>` for a named set (one per deployment on a director that runs several). */
export const unitNames = (job: ScheduledJob, name?: string) => {
  const base = name ? `freezeframe-${name}-${job}` : `freezeframe-${job}`;
  return { service: `${base}.service`, timer: `${base}.timer` };
};
/** A timer `schedule install` names: its set's name (if any) and its job. */
const TIMER_RE = new RegExp(`^freezeframe-(?:(.+)-)?(${SCHEDULED_JOBS.join('|')})\\.timer$`);

/** One scheduled job as its units say. */
export interface ScheduleEntry {
  job: ScheduledJob;
  /** The set's `--name`, when it has one. */
  name?: string;
  service: string;
  timer: string;
  /** The timer's OnCalendar= (systemd's normalized form when systemd-analyze was there to say it). */
  onCalendar: string;
  /** What the operator gave (`daily 02:00`), kept in the timer's description comment. */
  schedule: string;
  randomizedDelaySec?: number;
  persistent: boolean;
  /** The service's ExecStart= command line. */
  execStart: string;
  /** The timer is linked into timers.target.wants in that folder. */
  enabled: boolean;
  /** The next time OnCalendar= elapses, per `systemd-analyze calendar` (without the random delay); absent without it. */
  nextElapse?: string;
}

/**
 * Turns a schedule into systemd's OnCalendar=: a friendly form (`hourly`, `daily`, `weekly`,
 * `monthly`, `daily 02:00`, `weekly sun 03:30`, `monthly 04:00`) or a systemd calendar expression,
 * given as is. Refuses anything with other characters than CALENDAR_CHARS (no shell, no `%`, no
 * newline), naming `field`. Pure; systemd-analyze checks the result (calendarCheck).
 */
export function toOnCalendar(spec: string, field: string): string {
  const s = spec.trim().replace(/\s+/g, ' ');
  if (!CALENDAR_CHARS.test(s)) {
    throw new FfError('INVALID_ARGUMENT', `${field}: ${JSON.stringify(spec.slice(0, 60))} is not a schedule: only letters, digits, spaces and : * , . / ~ + - (no shell characters, quotes, % or newlines)`, {
      details: { field },
      hint: 'e.g. "daily 02:00", "weekly sun 03:30", "hourly", or a systemd calendar expression such as "Mon..Fri *-*-* 02:00:00" (man systemd.time)',
    });
  }
  const time = (hh: string, mm: string) => {
    const h = Number(hh);
    const m = Number(mm);
    if (h > 23 || m > 59) throw new FfError('INVALID_ARGUMENT', `${field}: ${hh}:${mm} is not a time of day (00:00 to 23:59)`, { details: { field } });
    return `${String(h).padStart(2, '0')}:${mm}:00`;
  };
  const lower = s.toLowerCase();
  let m = /^daily (\d{1,2}):(\d{2})$/.exec(lower);
  if (m) return `*-*-* ${time(m[1]!, m[2]!)}`;
  m = /^weekly(?: (mon|tue|wed|thu|fri|sat|sun)[a-z]*)?(?: (\d{1,2}):(\d{2}))?$/.exec(lower);
  if (m && (m[1] || m[2])) {
    const day = m[1] ?? 'mon';
    return `${day[0]!.toUpperCase()}${day.slice(1)} *-*-* ${m[2] ? time(m[2], m[3]!) : '00:00:00'}`;
  }
  m = /^monthly (\d{1,2}):(\d{2})$/.exec(lower);
  if (m) return `*-*-01 ${time(m[1]!, m[2]!)}`;
  if (/^(hourly|daily|weekly|monthly)$/.test(lower)) return lower;
  if (DAYS.includes(lower)) return `${lower[0]!.toUpperCase()}${lower.slice(1)} *-*-* 00:00:00`;
  return s;
}

/** What `systemd-analyze calendar` says of an expression; undefined where systemd-analyze is not installed. */
export async function calendarCheck(expr: string, field: string): Promise<{ normalized: string; nextElapse?: string } | undefined> {
  let bin: string;
  try {
    bin = findBinary('systemd-analyze');
  } catch {
    return undefined;
  }
  const r = await run({ bin, args: ['calendar', '--', expr], timeoutMs: 10_000, okExitCodes: [0, 1] });
  if (r.code !== 0) {
    const why = (r.stderr.trim().split('\n')[0] ?? '').replace(/^Failed to parse calendar specification '.*': /, '');
    throw new FfError('INVALID_ARGUMENT', `${field}: ${JSON.stringify(expr)} is not a systemd calendar expression${why ? ` (systemd-analyze: ${why})` : ''}`, {
      details: { field },
      hint: 'e.g. "daily 02:00", "weekly sun 03:30", "hourly", or see man systemd.time',
    });
  }
  const normalized = /Normalized form: (.+)/.exec(r.stdout)?.[1]?.trim() ?? expr;
  const next = /Next elapse: (.+)/.exec(r.stdout)?.[1]?.trim();
  return { normalized, ...(next ? { nextElapse: next } : {}) };
}

export interface ScheduleInstallOptions {
  /** The inventory the units pass with -i: made absolute by the caller. */
  inventory: string;
  deployment: string;
  /** Schedule string per job (`--backup "daily 02:00"`). */
  jobs: Partial<Record<ScheduledJob, string>>;
  /** Jobs whose command exists in this CLI; the others are refused. */
  /** Director commands this CLI has (a job whose command is missing is refused). */
  available: readonly string[];
  /** The freezeframe command: its binary, then arguments before `-i` (e.g. node and main.js). */
  command: readonly string[];
  /** RandomizedDelaySec=, in ms (at most 24 h). */
  randomizedDelayMs?: number;
  /** Folder for the units (default /etc/systemd/system). */
  dir?: string;
  /** Whether to run `systemctl daemon-reload` and `enable --now` (only for the system folder, where systemd runs; default true). */
  enable?: boolean;
  /** Names this set of units (`freezeframe-<name>-<job>`): several deployments scheduled on one director. */
  name?: string;
}

export interface ScheduleInstallResult {
  dir: string;
  units: ScheduleEntry[];
  files: string[];
  /** systemctl daemon-reload and enable --now ran. */
  enabled: boolean;
  /** What the operator still has to run (when not enabled here). */
  next: string[];
}

/** The two units of a job (text), from resolved inputs. Pure. */
export function renderUnits(o: { job: ScheduledJob; deployment: string; schedule: string; onCalendar: string; execStart: string[]; randomizedDelaySec?: number; name?: string }): { service: string; timer: string } {
  const names = unitNames(o.job, o.name);
  const remove = `\`freezeframe schedule remove ${o.job}${o.name ? ` --name ${o.name}` : ''}\` removes it.`;
  const title = o.job === 'deep' ? 'backup --deep' : o.job;
  const service = [
    `${MARK}; ${remove}`,
    '[Unit]',
    `Description=freezeframe ${title} of deployment ${o.deployment}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    // one run at a time, to its end: its exit status and log go to the journal (journalctl -u ...)
    'Type=oneshot',
    `ExecStart=${o.execStart.join(' ')}`,
    `SyslogIdentifier=${names.service.replace(/\.service$/, '')}`,
    // SIGTERM first: the director stops cleanly (thaws, releases, unlocks, records)
    'KillMode=mixed',
    'TimeoutStopSec=5min',
    '',
  ].join('\n');
  const timer = [
    `${MARK}; ${remove}`,
    `# schedule: ${o.schedule}`,
    '[Unit]',
    `Description=freezeframe ${title} of deployment ${o.deployment} on schedule`,
    '',
    '[Timer]',
    `OnCalendar=${o.onCalendar}`,
    // a run missed while the machine was off runs at the next boot
    'Persistent=true',
    ...(o.randomizedDelaySec ? [`RandomizedDelaySec=${o.randomizedDelaySec}`] : []),
    `Unit=${names.service}`,
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
  return { service, timer };
}

function checkPath(p: string, what: string): void {
  if (!isAbsolute(p) || !PATH_CHARS.test(p) || p.split('/').includes('..')) {
    throw new FfError('INVALID_ARGUMENT', `${what}: ${JSON.stringify(p.slice(0, 200))} cannot go into a unit's ExecStart=: it must be an absolute path of letters, digits and _ . / @ + - (no spaces, quotes, $ or %)`, {
      details: { field: what },
      hint: 'move the file to such a path (e.g. /etc/freezeframe/inventory.yaml)',
    });
  }
}

function isOurs(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').startsWith(MARK);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw e;
  }
}

/** systemd runs as the init system here (sd_booted's test). */
export function systemdRuns(): boolean {
  return existsSync('/run/systemd/system');
}

async function systemctl(args: string[]): Promise<void> {
  await run({ bin: findBinary('systemctl'), args, timeoutMs: 60_000 });
}

/**
 * `freezeframe schedule install`: checks every schedule (refusing jobs this CLI does not have),
 * then writes a service and a timer per job into `dir` (mode 0644, atomically; units this module
 * did not write are never replaced), and enables the timers where that is the system folder and
 * systemd runs.
 */
export async function scheduleInstall(o: ScheduleInstallOptions): Promise<ScheduleInstallResult> {
  const dir = o.dir ?? SYSTEM_UNIT_DIR;
  const jobs = SCHEDULED_JOBS.filter((j) => o.jobs[j] !== undefined);
  if (jobs.length === 0) throw new FfError('INVALID_ARGUMENT', 'nothing to schedule: give --backup (and --drill, --replicate, --deep)', { hint: 'freezeframe schedule install --backup "daily 02:00"' });
  for (const j of jobs) {
    if (!o.available.includes(jobCommand(j))) {
      throw new FfError('INVALID_ARGUMENT', `--${j}: \`freezeframe ${jobCommand(j)}\` is not available yet in this version, so it cannot be scheduled; nothing was written`, {
        details: { field: `--${j}` },
        hint: `schedule the other jobs without --${j}`,
      });
    }
  }
  if (o.name !== undefined) checkName(o.name, '--name');
  checkPath(o.inventory, '-i/--inventory');
  o.command.forEach((c, i) => checkPath(c, i === 0 ? 'the freezeframe binary' : 'the freezeframe script'));
  if (!isAbsolute(dir)) throw new FfError('INVALID_ARGUMENT', `--dir: ${JSON.stringify(dir)} must be an absolute path`, { details: { field: '--dir' } });
  let randomizedDelaySec: number | undefined;
  if (o.randomizedDelayMs !== undefined) {
    if (o.randomizedDelayMs < 0 || o.randomizedDelayMs > MAX_DELAY_MS) throw new FfError('INVALID_ARGUMENT', '--randomized-delay: at most 24h', { details: { field: '--randomized-delay' } });
    randomizedDelaySec = Math.round(o.randomizedDelayMs / 1000);
  }
  const planned = [];
  for (const job of jobs) {
    const schedule = o.jobs[job]!;
    const field = `--${job}`;
    const expr = toOnCalendar(schedule, field);
    const checked = await calendarCheck(expr, field);
    const execStart = [...o.command, '-i', o.inventory, ...JOB_ARGS[job]];
    const names = unitNames(job, o.name);
    for (const f of [names.service, names.timer]) {
      if (!isOurs(join(dir, f))) throw new FfError('ALREADY_EXISTS', `${join(dir, f)} exists and was not written by freezeframe schedule install; nothing was written`, { hint: 'move it away, or remove it yourself' });
    }
    planned.push({ job, schedule: schedule.trim(), onCalendar: checked?.normalized ?? expr, execStart, names, ...(checked?.nextElapse ? { nextElapse: checked.nextElapse } : {}) });
  }
  const files: string[] = [];
  const units: ScheduleEntry[] = [];
  for (const p of planned) {
    const text = renderUnits({ job: p.job, deployment: o.deployment, schedule: p.schedule, onCalendar: p.onCalendar, execStart: p.execStart, ...(randomizedDelaySec ? { randomizedDelaySec } : {}), ...(o.name ? { name: o.name } : {}) });
    await writeFileAtomic(join(dir, p.names.service), text.service, 0o644);
    await writeFileAtomic(join(dir, p.names.timer), text.timer, 0o644);
    files.push(join(dir, p.names.service), join(dir, p.names.timer));
    units.push({
      job: p.job,
      ...(o.name ? { name: o.name } : {}),
      service: p.names.service,
      timer: p.names.timer,
      onCalendar: p.onCalendar,
      schedule: p.schedule,
      ...(randomizedDelaySec ? { randomizedDelaySec } : {}),
      persistent: true,
      execStart: p.execStart.join(' '),
      enabled: false,
      ...(p.nextElapse ? { nextElapse: p.nextElapse } : {}),
    });
  }
  const timers = units.map((u) => u.timer);
  const canEnable = o.enable !== false && dir === SYSTEM_UNIT_DIR && systemdRuns();
  if (canEnable) {
    await systemctl(['daemon-reload']);
    await systemctl(['enable', '--now', ...timers]);
    for (const u of units) u.enabled = true;
  }
  const next = canEnable
    ? []
    : [
        ...(dir === SYSTEM_UNIT_DIR ? [] : [`cp ${files.join(' ')} ${SYSTEM_UNIT_DIR}/`]),
        'systemctl daemon-reload',
        `systemctl enable --now ${timers.join(' ')}`,
      ];
  return { dir, units, files, enabled: canEnable, next };
}

function unitValue(text: string, key: string): string | undefined {
  const m = new RegExp(`^${key}=(.*)$`, 'm').exec(text);
  return m?.[1]?.trim();
}

/** `freezeframe schedule list`: the jobs whose units this module wrote into `dir`. */
export async function scheduleList(opts: { dir?: string } = {}): Promise<{ dir: string; units: ScheduleEntry[] }> {
  const dir = opts.dir ?? SYSTEM_UNIT_DIR;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { dir, units: [] };
    throw new FfError('FAILED_PRECONDITION', `cannot read ${dir}: ${errorMessage(e)}`, { cause: e });
  }
  const units: ScheduleEntry[] = [];
  for (const file of names.sort()) {
    const m = TIMER_RE.exec(file);
    if (!m) continue;
    const name = m[1];
    const job = m[2] as ScheduledJob;
    const n = unitNames(job, name);
    const timerFile = join(dir, n.timer);
    const timer = readFileSync(timerFile, 'utf8');
    if (!timer.startsWith(MARK)) continue;
    const service = names.includes(n.service) ? readFileSync(join(dir, n.service), 'utf8') : '';
    const onCalendar = unitValue(timer, 'OnCalendar') ?? '';
    const delay = unitValue(timer, 'RandomizedDelaySec');
    let nextElapse: string | undefined;
    try {
      nextElapse = (await calendarCheck(onCalendar, n.timer))?.nextElapse;
    } catch {
      nextElapse = undefined; // an edited timer systemd would refuse: shown without a next time
    }
    let enabled = false;
    try {
      enabled = lstatSync(join(dir, 'timers.target.wants', n.timer)).isSymbolicLink();
    } catch {
      enabled = false;
    }
    units.push({
      job,
      ...(name ? { name } : {}),
      service: n.service,
      timer: n.timer,
      onCalendar,
      schedule: /^# schedule: (.*)$/m.exec(timer)?.[1] ?? onCalendar,
      ...(delay ? { randomizedDelaySec: parseDuration(delay) / 1000 } : {}),
      persistent: unitValue(timer, 'Persistent') === 'true',
      execStart: unitValue(service, 'ExecStart') ?? '',
      enabled,
      ...(nextElapse ? { nextElapse } : {}),
    });
  }
  return { dir, units };
}

/**
 * `freezeframe schedule remove [job]`: disables (where systemd runs the system folder) and
 * deletes the units of `job`, or of every job, that this module wrote.
 */
export async function scheduleRemove(opts: { dir?: string; job?: string; name?: string } = {}): Promise<{ dir: string; removed: string[] }> {
  const dir = opts.dir ?? SYSTEM_UNIT_DIR;
  if (opts.job !== undefined && !(SCHEDULED_JOBS as readonly string[]).includes(opts.job)) {
    throw new FfError('INVALID_ARGUMENT', `job ${JSON.stringify(opts.job.slice(0, 40))} is not one of ${SCHEDULED_JOBS.join(', ')}`, { details: { field: 'job' } });
  }
  const { units } = await scheduleList({ dir });
  if (opts.name !== undefined) checkName(opts.name, '--name');
  // without --name: the unnamed set only; a named set is removed by its name
  const chosen = units.filter((u) => (opts.job === undefined || u.job === opts.job) && u.name === opts.name);
  const live = dir === SYSTEM_UNIT_DIR && systemdRuns();
  if (live && chosen.length > 0) await systemctl(['disable', '--now', ...chosen.map((u) => u.timer)]);
  const removed: string[] = [];
  for (const u of chosen) {
    for (const f of [u.timer, u.service, join('timers.target.wants', u.timer)]) {
      const file = join(dir, f);
      try {
        if (f === u.service && !isOurs(file)) continue;
        unlinkSync(file);
        if (!f.startsWith('timers.target.wants')) removed.push(file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  if (live && chosen.length > 0) await systemctl(['daemon-reload']);
  return { dir, removed };
}
