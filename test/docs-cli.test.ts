// docs/cli.md against the real commands: every command and option that `--help` of the built
// `freezeframe` (each command and subcommand) and `freezeframe-agent` prints must be documented
// there, and everything documented there must still exist. No root, no agents; needs the build.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { claim } from './support/claim.js';

await claim();

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIRECTOR = join(REPO, 'packages/director/dist/cli/main.js');
const AGENT = join(REPO, 'packages/agent/dist/main.js');
const DOC = readFileSync(join(REPO, 'docs/cli.md'), 'utf8');

/** What one `--help` says: options (long flag -> default, if any), arguments, subcommands. */
interface Help {
  options: Map<string, string | undefined>;
  args: string[];
  commands: string[];
}

function help(main: string, args: string[]): string {
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (pnpm build)`);
  const r = spawnSync(process.execPath, [main, ...args, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${[main, ...args].join(' ')} --help exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Parses commander's help: sections `Options:`, `Arguments:`, `Commands:`; wrapped lines are indented deeper. */
function parseCommanderHelp(text: string): Help {
  const h: Help = { options: new Map(), args: [], commands: [] };
  let section = '';
  let last: { flag: string; text: string } | undefined;
  const flush = () => {
    if (last) h.options.set(last.flag, /\(default: "?([^")]*)"?\)/.exec(last.text)?.[1]);
    last = undefined;
  };
  for (const line of text.split('\n')) {
    const head = /^(Options|Arguments|Commands):$/.exec(line);
    if (head) {
      flush();
      section = head[1]!;
      continue;
    }
    if (!line.startsWith('  ')) {
      flush();
      if (line.trim() === '') continue;
      section = '';
      continue;
    }
    const entry = /^ {2}(\S.*)$/.exec(line);
    if (!entry) {
      if (last) last.text += ` ${line.trim()}`;
      continue;
    }
    flush();
    if (section === 'Options') {
      const m = /^(?:-\w, )?(--[\w-]+)/.exec(entry[1]!);
      if (m) last = { flag: m[1]!, text: entry[1]! };
    } else if (section === 'Arguments') {
      h.args.push(entry[1]!.split(/\s+/)[0]!);
    } else if (section === 'Commands') {
      const name = entry[1]!.split(/\s+/)[0]!;
      if (name !== 'help') h.commands.push(name);
    }
  }
  flush();
  return h;
}

/** The text of docs/cli.md from `heading` (a whole line) to the next heading of the same or a higher level. */
function docSection(heading: string): string {
  const lines = DOC.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) return '';
  const level = /^#+/.exec(heading)![0].length;
  let end = start + 1;
  while (end < lines.length && !(/^#+ /.test(lines[end]!) && /^#+/.exec(lines[end]!)![0].length <= level)) end++;
  return lines.slice(start, end).join('\n');
}

/** Options documented in a section: table rows that begin with a flag in backticks. */
function documentedOptions(section: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of section.matchAll(/^\| `(?:-\w, )?(--[\w-]+)[^`]*` \|(.*)$/gm)) out.set(m[1]!, m[2]!);
  return out;
}

const IGNORED = new Set(['--help']);

/** Every leaf command of the director, as word lists (`['certs', 'issue']`), with its help. */
function directorCommands(): Array<{ path: string[]; help: Help }> {
  const out: Array<{ path: string[]; help: Help }> = [];
  const walk = (path: string[]) => {
    const h = parseCommanderHelp(help(DIRECTOR, path));
    if (h.commands.length === 0) out.push({ path, help: h });
    for (const c of h.commands) walk([...path, c]);
  };
  for (const c of parseCommanderHelp(help(DIRECTOR, [])).commands) walk([c]);
  return out;
}

describe('docs/cli.md', () => {
  let cached: ReturnType<typeof directorCommands> | undefined;
  const all = () => (cached ??= directorCommands());

  it('documents every command of freezeframe, and no command that is gone', () => {
    const commands = all();
    expect(commands.length).toBeGreaterThan(10);
    const documented = [...DOC.matchAll(/^### freezeframe (.+)$/gm)].map((m) => m[1]!.trim()).sort();
    expect(documented, 'the `### freezeframe <command>` headings of docs/cli.md').toEqual(commands.map((c) => c.path.join(' ')).sort());
  });

  it('documents every option and argument of every command, its default, an exit-code line and the --json shape', () => {
    const problems: string[] = [];
    for (const c of all()) {
      const name = c.path.join(' ');
      const section = docSection(`### freezeframe ${name}`);
      if (!section) continue; // reported by the test above
      const doc = documentedOptions(section);
      const real = [...c.help.options.keys()].filter((f) => !IGNORED.has(f));
      for (const f of real) if (!doc.has(f)) problems.push(`${name}: option ${f} is not documented`);
      for (const f of doc.keys()) if (!c.help.options.has(f)) problems.push(`${name}: documented option ${f} does not exist`);
      for (const [f, dflt] of c.help.options) {
        if (dflt !== undefined && doc.has(f) && !doc.get(f)!.includes(dflt)) problems.push(`${name}: ${f} defaults to ${dflt}, the doc does not say so`);
      }
      const synopsis = /```\n(freezeframe [^`]*)```/.exec(section)?.[1] ?? '';
      if (!synopsis) problems.push(`${name}: no synopsis block`);
      for (const a of c.help.args) if (!synopsis.includes(`<${a}>`)) problems.push(`${name}: argument <${a}> is not in the synopsis`);
      if (!/^Exit codes:/m.test(section) && !/\. Exit codes:/.test(section)) problems.push(`${name}: no "Exit codes:" line`);
      if (c.help.options.has('--json') && !/`--json`[^\n]*:\n\n```ts\n/.test(section)) problems.push(`${name}: no --json shape (a \`--json\` line followed by a ts block)`);
    }
    expect(problems).toEqual([]);
  });

  it('documents the global options', () => {
    const real = [...parseCommanderHelp(help(DIRECTOR, [])).options.keys()].filter((f) => !IGNORED.has(f));
    const doc = [...documentedOptions(docSection('## Global options')).keys()].filter((f) => !IGNORED.has(f));
    expect(doc.sort()).toEqual(real.sort());
  });

  it('documents the exit codes --help prints', () => {
    const top = help(DIRECTOR, []);
    const codes = [...top.matchAll(/^ {2}(\d) {2}(\S+)/gm)].map((m) => m[1]!);
    expect(codes).toEqual(['0', '1', '2']);
    const conventions = docSection('## Conventions');
    for (const c of codes) expect(conventions, `exit code ${c}`).toMatch(new RegExp(`^ *\\| ${c} \\|`, 'm'));
  });

  it('documents every option of freezeframe-agent, and none that is gone', () => {
    const usage = help(AGENT, []);
    const real = new Set([...usage.matchAll(/^ {2}(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]!));
    expect(real.has('--config')).toBe(true);
    const section = docSection('## freezeframe-agent');
    expect(section, 'a "## freezeframe-agent" section').not.toBe('');
    const doc = new Set(documentedOptions(section).keys());
    // the agent's usage text leaves --help out
    expect([...doc].filter((f) => !IGNORED.has(f)).sort()).toEqual([...real].filter((f) => !IGNORED.has(f)).sort());
    expect(section).toMatch(/^Exit codes:/m);
  });
});
