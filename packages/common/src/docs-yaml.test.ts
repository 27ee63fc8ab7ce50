import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { agentConfigSchema, inventorySchema } from './config.js';

// Every YAML snippet in the README and docs/ must be config the agent or the director accepts.
// A snippet is usually a section (`freeze:`, `source:`, `services:`): it is checked inside the
// smallest config around it, which the snippet's own keys override. docs/config.md is generated
// and checked by config-doc.test.ts.

const root = join(import.meta.dirname, '../../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md') && f !== 'config.md').map((f) => `docs/${f}`)];

const TLS = { ca: '/etc/freezeframe/ca.pem', cert: '/etc/freezeframe/cassandra-1.pem', key: '/etc/freezeframe/cassandra-1-key.pem' };
const AGENT_BASE = { name: 'node-1', listen: '0.0.0.0:7450', tls: TLS };
const INVENTORY_BASE = { deployment: 'uat', tls: TLS, nodes: [{ name: 'node-1', address: '10.0.0.1:7450' }] };

function snippets(): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [];
  for (const page of pages) {
    const text = readFileSync(join(root, page), 'utf8');
    for (const m of text.matchAll(/^( *)```ya?ml\n([\s\S]*?)^\1```/gm)) {
      const line = text.slice(0, m.index).split('\n').length;
      out.push({ where: `${page}:${line}`, text: m[2]!.replace(new RegExp(`^${m[1]}`, 'gm'), '') });
    }
  }
  return out;
}

describe('YAML snippets in the README and docs/', () => {
  const all = snippets();

  it('finds the snippets', () => {
    expect(all.length).toBeGreaterThan(0);
  });

  it.each(all.map((s) => [s.where, s.text]))('%s is accepted', (where, text) => {
    const doc = parseYaml(text) as Record<string, unknown>;
    expect(typeof doc, where).toBe('object');
    const inventory = 'nodes' in doc || 'deployment' in doc || 'replicate' in doc;
    const schema = inventory ? inventorySchema : agentConfigSchema;
    const r = schema.safeParse({ ...(inventory ? INVENTORY_BASE : AGENT_BASE), ...doc });
    expect(r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`), where).toEqual([]);
  });
});
