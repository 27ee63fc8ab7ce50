import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { agentConfigSchema, inventorySchema } from './config.js';
import { ConfigDocError, LISTED_LIKE, configKeys, renderConfigDoc } from './config-doc.js';
import { CONFIG_KEY_TEXTS } from './config-keys.js';

const root = join(import.meta.dirname, '../../..');
const docFile = join(root, 'docs/config.md');

/** The doc's part for one file: `## Agent config` up to `## Inventory`, or from there to the end. */
function part(doc: string, which: 'agent' | 'inventory'): string {
  const i = doc.indexOf('\n## Inventory\n');
  return which === 'agent' ? doc.slice(doc.indexOf('\n## Agent config\n'), i) : doc.slice(i);
}

/** The key cells of the doc's tables. */
function documentedPaths(text: string): Set<string> {
  return new Set([...text.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!.replaceAll('\\|', '|')));
}

/** Strips what does not change a key's path: optional, default, refinements and transforms. */
function bare(s: z.ZodTypeAny): z.ZodTypeAny {
  if (s instanceof z.ZodOptional || s instanceof z.ZodNullable) return bare(s.unwrap() as z.ZodTypeAny);
  if (s instanceof z.ZodDefault) return bare(s.removeDefault() as z.ZodTypeAny);
  if (s instanceof z.ZodEffects) return bare(s.innerType() as z.ZodTypeAny);
  return s;
}

/**
 * Every key path of a schema and every variant (`freeze.kind=none`), found without config-doc.ts's
 * walker, so that a key the walker skipped cannot go unnoticed.
 */
function schemaPaths(s: z.ZodTypeAny, prefix = '', out = { keys: [] as string[], variants: [] as string[] }): typeof out {
  const obj = bare(s);
  if (!(obj instanceof z.ZodObject)) return out;
  for (const [k, v] of Object.entries(obj.shape as z.ZodRawShape)) {
    let inner = bare(v);
    let path = prefix + k;
    if (inner instanceof z.ZodArray) {
      path += '[]';
      inner = bare(inner.element as z.ZodTypeAny);
    }
    if (prefix.endsWith(': ') && k === 'kind' && inner instanceof z.ZodLiteral) continue;
    out.keys.push(path);
    // `sources[]` items are `source:` forms with a name: their keys are documented under `source`
    if (LISTED_LIKE[path]) {
      out.keys.push(`${path}.name`);
      continue;
    }
    if (inner instanceof z.ZodDiscriminatedUnion) {
      const d = inner.discriminator as string;
      out.keys.push(`${path}.${d}`);
      for (const o of inner.options as z.ZodObject<z.ZodRawShape>[]) {
        const variant = `${path}.${d}=${String((o.shape[d] as z.ZodLiteral<string>).value)}`;
        out.variants.push(variant);
        schemaPaths(o, `${variant}: `, out);
      }
    } else if (inner instanceof z.ZodUnion) {
      for (const o of inner.options as z.ZodTypeAny[]) schemaPaths(o, `${path}.`, out);
    } else schemaPaths(inner, `${path}.`, out);
  }
  return out;
}

/** The doc paths of every key set in a config file: `tls.ca`, `source.kind`, `source.kind=btrfs: volume`, `nodes[].name`. */
function configPaths(value: unknown, prefix = '', out: string[] = []): string[] {
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const path = prefix + k;
    const like = LISTED_LIKE[`${path}[]`];
    if (Array.isArray(v) && like) {
      out.push(`${path}[]`);
      for (const el of v as Array<Record<string, unknown>>) {
        const { name, ...rest } = el;
        if (name !== undefined) out.push(`${path}[].name`);
        configPaths({ [like]: rest }, prefix, out);
      }
    } else if (Array.isArray(v)) {
      out.push(`${path}[]`);
      for (const el of v) if (el !== null && typeof el === 'object') configPaths(el, `${path}[].`, out);
    } else if (v !== null && typeof v === 'object') {
      out.push(path);
      const kind = (v as { kind?: unknown }).kind;
      if (typeof kind === 'string') {
        out.push(`${path}.kind`);
        const { kind: _, ...rest } = v as Record<string, unknown>;
        configPaths(rest, `${path}.kind=${kind}: `, out);
      } else configPaths(v, `${path}.`, out);
    } else out.push(path);
  }
  return out;
}

describe('docs/config.md', () => {
  const doc = readFileSync(docFile, 'utf8');

  it('is what the schemas and config-keys.ts generate', () => {
    expect(doc, 'docs/config.md is out of date: run pnpm gen:config-doc').toBe(renderConfigDoc());
  });

  for (const [which, schema] of [['agent', agentConfigSchema], ['inventory', inventorySchema]] as const) {
    it(`lists every key of the ${which} schema, and no other`, () => {
      const text = part(doc, which);
      const { keys, variants } = schemaPaths(schema);
      expect([...documentedPaths(text)].sort(), 'the key rows of docs/config.md').toEqual([...keys].sort());
      expect(variants.filter((v) => !text.includes(`### \`${v}\`\n`)), 'variants without a heading').toEqual([]);
    });
  }

  it('lists every key the sample configs use, under the path the doc gives it', () => {
    const examples = join(root, 'examples');
    const files = readdirSync(examples).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const documented = documentedPaths(part(doc, f.startsWith('inventory') ? 'inventory' : 'agent'));
      const used = configPaths(parseYaml(readFileSync(join(examples, f), 'utf8')));
      expect(used.filter((p) => !documented.has(p)), `${f}: keys not in docs/config.md`).toEqual([]);
    }
  });

  it('says how to check a config', () => {
    expect(doc).toContain('freezeframe-agent --config FILE --check');
  });
});

describe('the generator', () => {
  const texts = () => structuredClone(CONFIG_KEY_TEXTS);
  const problems = (t: ReturnType<typeof texts>): string[] => {
    try {
      renderConfigDoc(t);
    } catch (e) {
      if (e instanceof ConfigDocError) return e.problems;
      throw e;
    }
    return [];
  };

  it('fails listing every key without a description', () => {
    const t = texts();
    delete t.agent['freeze.kind=cgroup: cgroups[]'];
    delete t.inventory['nodes[].address'];
    expect(problems(t)).toEqual([
      'agent: freeze.kind=cgroup: cgroups[]: no description (add it to config-keys.ts)',
      'inventory: nodes[].address: no description (add it to config-keys.ts)',
    ]);
    expect(() => renderConfigDoc(t)).toThrow(/cannot be generated:\n {2}agent: freeze.kind=cgroup: cgroups\[\]: no description/);
  });

  it('fails on a description of a key the schema does not have', () => {
    const t = texts();
    t.agent['source.kind=btrfs: snapshotDir'] = { text: 'gone', example: '/x' };
    expect(problems(t)).toEqual(['agent: source.kind=btrfs: snapshotDir: described in config-keys.ts but not a key of the schema']);
  });

  it('fails on an example the schema refuses, and on a key with neither example nor default', () => {
    const t = texts();
    t.agent.runDir = { text: 'x', example: 'run/freezeframe' };
    t.agent.ticketTtl = { text: 'x', example: 'a minute' };
    t.inventory['nodes[].name'] = { text: 'x' };
    expect(problems(t)).toEqual([
      'agent: runDir: example run/freezeframe is refused by the schema: must be an absolute path without ".."',
      'agent: ticketTtl: example a minute is refused by the schema: must be a duration such as 30s or 5m',
      'inventory: nodes[].name: no example (add one to config-keys.ts)',
    ]);
  });

  it('reads types, defaults and required flags from the schema', () => {
    const keys = new Map(configKeys(agentConfigSchema).map((k) => [k.path, k]));
    expect(keys.get('source.kind=btrfs: snapshotMount')).toMatchObject({ section: 'source.kind=btrfs', type: 'absolute path', required: 'yes' });
    expect(keys.get('freeze.kind=cgroup: cgroups[]')).toMatchObject({ required: 'no', default: '[]' });
    expect(keys.get('freezeMaxTotal')).toMatchObject({ type: 'duration', default: '10m' });
    expect(keys.get('source.kind=cassandra: service.unit')).toMatchObject({ required: 'yes, in the `unit` form' });
    expect(keys.get('tls.crl')).toMatchObject({ section: 'tls', required: 'no' });
    const inv = new Map(configKeys(inventorySchema).map((k) => [k.path, k]));
    expect(inv.get('transfer.concurrency')).toMatchObject({ type: 'integer, 1 to 64', default: '1' });
    expect(inv.get('nodes[]')).toMatchObject({ type: 'list of objects, at least 1', required: 'yes' });
  });

  it('takes a .describe() text as the description', () => {
    const keys = configKeys(z.object({ a: z.string().describe('what a is'), b: z.number().optional() }));
    expect(keys.map((k) => [k.path, k.described])).toEqual([['a', 'what a is'], ['b', undefined]]);
  });
});
