import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { agentConfigSchema, inventorySchema } from './config.js';
import { CONFIG_DOC_INTRO, CONFIG_KEY_TEXTS, type KeyText } from './config-keys.js';

// docs/config.md is generated from the zod schemas by walking them (this module) and taking each
// key's description and example from config-keys.ts. `pnpm gen:config-doc` writes the file;
// config-doc.test.ts fails when the committed file differs from what this renders.

/** One documented key of a config file. */
export interface ConfigKey {
  /**
   * The key's path: `tls.key`, `nodes[].name`; inside a variant of a union on `kind`, the
   * variant first: `source.kind=btrfs: snapshotMount`, `freeze.kind=cgroup: cgroups[]`.
   */
  path: string;
  /** Heading the key is listed under: `top level`, `tls`, `source.kind=btrfs`, ... */
  section: string;
  /** For the reader: `string`, `duration`, `absolute path`, `list of string, at least 1`, ... */
  type: string;
  /** `yes`, `no`, or the form of a union it is required in. */
  required: string;
  /** The default as written in a config file; undefined when there is none. */
  default?: string;
  /** The schema of the value, against which the example is validated. */
  schema: z.ZodTypeAny;
  /** A `.describe()` text on the schema, if any. */
  described?: string;
}

/** Keys without a description, map entries that name no key, examples the schema refuses. */
export class ConfigDocError extends Error {
  constructor(readonly problems: string[]) {
    super(`docs/config.md cannot be generated:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigDocError';
  }
}

/** A config file the document describes. */
export interface ConfigFileDoc {
  /** Key into CONFIG_KEY_TEXTS. */
  id: 'agent' | 'inventory';
  title: string;
  schema: z.ZodTypeAny;
}

export const CONFIG_FILES: ConfigFileDoc[] = [
  { id: 'agent', title: 'Agent config', schema: agentConfigSchema },
  { id: 'inventory', title: 'Inventory', schema: inventorySchema },
];

/** A value as written in YAML flow style: `[a, b]`, `{}`, `30s`. */
export function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v);
    return entries.length ? `{ ${entries.map(([k, x]) => `${k}: ${flow(x)}`).join(', ')} }` : '{}';
  }
  return String(v);
}

interface Unwrapped {
  core: z.ZodTypeAny;
  optional: boolean;
  default?: unknown;
  description?: string;
  /** A transform that parses `30s` into 30000 (the config's durations). */
  duration: boolean;
  /** A refined string that takes `/a/b` and refuses `a/b`. */
  absolutePath: boolean;
}

/**
 * Strips optional, default and refinements. What a refinement or transform means is known only
 * by what it accepts: a duration parses `30s` into 30000, an absolute path takes `/a/b` and refuses
 * `a/b`; any other transform fails, so that it is not documented as something it is not.
 */
function unwrap(schema: z.ZodTypeAny, path: string): Unwrapped {
  const u: Unwrapped = { core: schema, optional: false, duration: false, absolutePath: false };
  let s = schema;
  for (;;) {
    if (u.description === undefined && s.description !== undefined) u.description = s.description;
    if (s instanceof z.ZodOptional) {
      u.optional = true;
      s = s.unwrap();
    } else if (s instanceof z.ZodDefault) {
      u.optional = true;
      u.default = (s._def as z.ZodDefaultDef).defaultValue();
      s = s.removeDefault();
    } else if (s instanceof z.ZodEffects) {
      const effect = (s._def as z.ZodEffectsDef).effect;
      if (effect.type === 'transform') {
        const a = s.safeParse('30s');
        const b = s.safeParse(90);
        if (!(a.success && a.data === 30_000 && b.success && b.data === 90_000)) throw new Error(`${path}: a transform the config doc does not know (teach config-doc.ts its type)`);
        u.duration = true;
        u.core = s;
        return u;
      }
      const inner = s.innerType();
      if (inner instanceof z.ZodString && effect.type === 'refinement' && s.safeParse('/srv/app').success && !s.safeParse('srv/app').success) {
        u.absolutePath = true;
      }
      s = inner;
    } else {
      u.core = s;
      return u;
    }
  }
}

const isObjectLike = (s: z.ZodTypeAny): boolean =>
  s instanceof z.ZodObject || s instanceof z.ZodDiscriminatedUnion || (s instanceof z.ZodUnion && (s.options as z.ZodTypeAny[]).every((o) => o instanceof z.ZodObject));

function stringRules(s: z.ZodString): string[] {
  const rules: string[] = [];
  for (const c of s._def.checks) {
    if (c.kind === 'min') rules.push(c.value === 1 ? 'not empty' : `at least ${c.value} characters`);
    else if (c.kind === 'max') rules.push(`at most ${c.value} characters`);
    else if (c.kind === 'regex') rules.push(c.message ?? `matching ${c.regex}`);
    else throw new Error(`string check ${c.kind} is not known to the config doc`);
  }
  return rules;
}

function numberType(s: z.ZodNumber): string {
  let int = false;
  let min: number | undefined;
  let max: number | undefined;
  for (const c of s._def.checks) {
    if (c.kind === 'int') int = true;
    else if (c.kind === 'min') min = c.inclusive ? c.value : c.value + (int ? 1 : 0);
    else if (c.kind === 'max') max = c.inclusive ? c.value : c.value - (int ? 1 : 0);
    else throw new Error(`number check ${c.kind} is not known to the config doc`);
  }
  const base = int ? 'integer' : 'number';
  if (min !== undefined && max !== undefined) return `${base}, ${min} to ${max}`;
  if (min !== undefined) return `${base}, at least ${min}`;
  if (max !== undefined) return `${base}, at most ${max}`;
  return base;
}

/** The type as the reader sees it, for a schema that is not an object. */
function typeOf(u: Unwrapped, path: string): string {
  if (u.duration) return 'duration';
  const s = u.core;
  if (s instanceof z.ZodString) {
    const rules = stringRules(s);
    return `${u.absolutePath ? 'absolute path' : 'string'}${rules.length ? ` (${rules.join('; ')})` : ''}`;
  }
  if (s instanceof z.ZodNumber) return numberType(s);
  if (s instanceof z.ZodBoolean) return 'boolean';
  if (s instanceof z.ZodEnum) return (s.options as string[]).map((o) => `\`${o}\``).join(' \\| ');
  if (s instanceof z.ZodLiteral) return `\`${String(s.value)}\``;
  if (s instanceof z.ZodArray) {
    const def = s._def as z.ZodArrayDef;
    const el = unwrap(def.type, `${path}[]`);
    const of = isObjectLike(el.core) ? 'objects' : typeOf(el, `${path}[]`);
    const size = [def.minLength && `at least ${def.minLength.value}`, def.maxLength && `at most ${def.maxLength.value}`].filter(Boolean).join(', ');
    return `list of ${of}${size ? `, ${size}` : ''}`;
  }
  if (s instanceof z.ZodUnion) return (s.options as z.ZodTypeAny[]).map((o) => typeOf(unwrap(o, path), path)).join(' \\| ');
  throw new Error(`${path}: zod type ${s.constructor.name} is not known to the config doc`);
}

interface WalkAt {
  /** Path written before this object's keys: '', 'tls.', 'source.kind=btrfs: ', 'nodes[].'. */
  prefix: string;
  section: string;
  depth: number;
}

/** What a walk collects: the keys, and the headings in order (a variant without keys has one too). */
interface Walked {
  keys: ConfigKey[];
  sections: string[];
}

/** Every key of an object schema, depth first in schema order, with the objects' own rows first. */
/** Lists whose items have the keys of another key's forms (plus `name`): documented by reference, not twice. */
export const LISTED_LIKE: Record<string, string> = { 'sources[]': 'source' };

function walkObject(obj: z.ZodObject<z.ZodRawShape>, at: WalkAt, out: Walked, skip?: string, requiredIn?: string): void {
  for (const [key, field] of Object.entries(obj.shape)) {
    if (key === skip) continue;
    walkField(key, field, at, out, requiredIn);
  }
}

function walkField(key: string, field: z.ZodTypeAny, at: WalkAt, out: Walked, requiredIn?: string): void {
  const u = unwrap(field, at.prefix + key);
  const list = u.core instanceof z.ZodArray;
  const name = list ? `${key}[]` : key;
  const path = at.prefix + name;
  const el = list ? unwrap((u.core._def as z.ZodArrayDef).type, path) : u;
  const nested = isObjectLike(el.core);
  // objects at the top get their own heading; deeper ones stay under their parent's
  const section = nested && at.depth === 0 ? name : at.section;
  let type: string;
  if (list || !nested) type = typeOf(u, path);
  else if (el.core instanceof z.ZodDiscriminatedUnion) type = `object, by \`${el.core.discriminator as string}\``;
  else if (el.core instanceof z.ZodUnion) {
    const forms = (el.core.options as z.ZodObject<z.ZodRawShape>[]).map((o) => `\`${Object.keys(o.shape)[0]}\``);
    type = `object, one of the forms ${forms.join(', ')}`;
  } else type = 'object';
  const row: ConfigKey = {
    path,
    section,
    type,
    required: u.optional ? 'no' : requiredIn ? `yes, in the \`${requiredIn}\` form` : 'yes',
    schema: field,
    ...(u.default !== undefined ? { default: flow(u.default) } : {}),
    ...(u.description !== undefined ? { described: u.description } : {}),
  };
  if (!out.sections.includes(section)) out.sections.push(section);
  out.keys.push(row);
  if (!nested) return;
  const like = LISTED_LIKE[path];
  if (like) {
    // each item is one of `like`'s forms plus a name: its keys are listed once, under `like`
    const nameField = ((el.core as z.ZodDiscriminatedUnion<string, z.ZodDiscriminatedUnionOption<string>[]>).options[0] as z.ZodObject<z.ZodRawShape>).shape.name!;
    out.keys.push({ path: `${path}.name`, section, type: typeOf(unwrap(nameField, `${path}.name`), `${path}.name`), required: 'yes', schema: nameField });
    return;
  }
  const inner: WalkAt = { prefix: `${path}.`, section, depth: at.depth + 1 };
  const s = el.core;
  if (s instanceof z.ZodObject) walkObject(s, inner, out);
  else if (s instanceof z.ZodDiscriminatedUnion) {
    const d = s.discriminator as string;
    const options = s.options as z.ZodObject<z.ZodRawShape>[];
    const values = options.map((o) => (o.shape[d] as z.ZodLiteral<string>).value);
    out.keys.push({
      path: `${path}.${d}`,
      section,
      type: values.map((v) => `\`${v}\``).join(' \\| '),
      required: 'yes',
      schema: z.enum(values as [string, ...string[]]),
    });
    options.forEach((o, i) => {
      const variant = `${path}.${d}=${values[i]!}`;
      if (at.depth === 0) out.sections.push(variant);
      walkObject(o, { prefix: `${variant}: `, section: at.depth === 0 ? variant : section, depth: at.depth + 1 }, out, d);
    });
  } else if (s instanceof z.ZodUnion) {
    const seen = new Map<string, string>();
    for (const o of s.options as z.ZodObject<z.ZodRawShape>[]) {
      const form = Object.keys(o.shape)[0]!;
      for (const k of Object.keys(o.shape)) {
        if (seen.has(k)) throw new Error(`${path}: key ${k} is in the forms ${seen.get(k)!} and ${form} (the config doc lists each key once)`);
        seen.set(k, form);
      }
      walkObject(o, inner, out, undefined, form);
    }
  }
}

function walk(schema: z.ZodTypeAny): Walked {
  const u = unwrap(schema, '(top level)');
  if (!(u.core instanceof z.ZodObject)) throw new Error('a config schema must be an object');
  const out: Walked = { keys: [], sections: [] };
  walkObject(u.core, { prefix: '', section: 'top level', depth: 0 }, out);
  return out;
}

/** Every key of a config schema, in schema order. */
export function configKeys(schema: z.ZodTypeAny): ConfigKey[] {
  return walk(schema).keys;
}

const cell = (s: string): string => s.replaceAll('|', '\\|');
const code = (s: string): string => `\`${cell(s)}\``;

function resolveTexts(file: ConfigFileDoc, keys: ConfigKey[], texts: Record<string, KeyText>, problems: string[]): Map<string, { text: string; example: string }> {
  const out = new Map<string, { text: string; example: string }>();
  const paths = new Set(keys.map((k) => k.path));
  for (const p of Object.keys(texts)) if (!paths.has(p)) problems.push(`${file.id}: ${p}: described in config-keys.ts but not a key of the schema`);
  for (const k of keys) {
    const t = texts[k.path];
    if (t !== undefined && k.described !== undefined) {
      problems.push(`${file.id}: ${k.path}: described both by .describe() and in config-keys.ts (keep one)`);
      continue;
    }
    const text = t?.text ?? k.described;
    if (text === undefined || !text.trim()) {
      problems.push(`${file.id}: ${k.path}: no description (add it to config-keys.ts)`);
      continue;
    }
    if (/[\n\r]/.test(text)) problems.push(`${file.id}: ${k.path}: the description must be one line`);
    const example = t?.example ?? k.default;
    if (example === undefined) {
      problems.push(`${file.id}: ${k.path}: no example (add one to config-keys.ts)`);
      continue;
    }
    let value: unknown;
    try {
      value = parseYaml(example);
    } catch (e) {
      problems.push(`${file.id}: ${k.path}: example ${example} is not YAML: ${(e as Error).message}`);
      continue;
    }
    const r = k.schema.safeParse(value);
    if (!r.success) problems.push(`${file.id}: ${k.path}: example ${example} is refused by the schema: ${r.error.issues.map((i) => i.message).join('; ')}`);
    out.set(k.path, { text, example });
  }
  return out;
}

/**
 * The whole of docs/config.md. `texts` (default: config-keys.ts) gives each key its description
 * and example; throws ConfigDocError listing every key without a description or example, every
 * entry that names no key, and every example its key's schema refuses.
 */
export function renderConfigDoc(texts: Record<ConfigFileDoc['id'], Record<string, KeyText>> = CONFIG_KEY_TEXTS): string {
  const problems: string[] = [];
  const parts: string[] = [
    '<!-- Generated from the zod schemas in packages/common/src/config.ts and the texts in',
    '     packages/common/src/config-keys.ts by `pnpm gen:config-doc`; do not edit by hand. -->',
    '',
    CONFIG_DOC_INTRO.trim(),
    '',
  ];
  for (const file of CONFIG_FILES) {
    const { keys, sections } = walk(file.schema);
    const resolved = resolveTexts(file, keys, texts[file.id], problems);
    parts.push(`## ${file.title}`, '');
    // the top-level keys first, then one heading per object and per variant, in schema order
    for (const section of ['top level', ...sections.filter((x) => x !== 'top level')]) {
      parts.push(`### ${section === 'top level' ? 'Top level' : code(section)}`, '');
      const rows = keys.filter((x) => x.section === section);
      if (!rows.length) {
        parts.push('No keys besides `kind`.', '');
        continue;
      }
      parts.push('| Key | Type | Required | Default | Example | Description |', '|---|---|---|---|---|---|');
      for (const k of rows) {
        const t = resolved.get(k.path);
        parts.push(`| ${code(k.path)} | ${k.type} | ${k.required} | ${k.default === undefined ? '—' : code(k.default)} | ${t ? code(t.example) : ''} | ${t ? cell(t.text) : ''} |`);
      }
      parts.push('');
    }
  }
  if (problems.length) throw new ConfigDocError(problems);
  return parts.join('\n');
}
