import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

// The package layout's "never"s, enforced: director and agent never import each other, common
// imports neither, the director's engine never imports cli/, the agent's tools never import
// providers or rpc/, providers never import rpc/, the engine's core/ never imports a command's
// module, tests and benchmarks import the packages by name. Plus import cycles and typescript-eslint's
// recommended rules; no style rules. Run by `pnpm lint`, part of `pnpm test`.

/** One `no-restricted-imports` pattern: `regex` is matched against the import specifier as written. */
const never = (regex, message) => ({ regex, message });

// Specifiers reaching into another package by name or by path (`../../agent/src/x.js`).
const pkg = (name, message) => never(`^@freezeframe/${name}(/|$)|(^|/)${name}/(src|dist)(/|$)`, message);
const AGENT = pkg('agent', 'agent and director never import each other: they meet only on the wire');
const DIRECTOR = pkg('director', 'agent and director never import each other: they meet only on the wire');

/** Restricts the files under `folder` (and everything below it) from the given patterns. */
const boundary = (folder, ...patterns) => ({
  files: [`${folder}/**/*.ts`],
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default defineConfig(
  { ignores: ['**/dist/**', '**/node_modules/**', 'packages/common/src/generated/**'] },
  { files: ['packages/*/src/**/*.ts'], extends: [tseslint.configs.recommended] },
  {
    files: ['packages/*/src/**/*.ts'],
    languageOptions: { parser: tseslint.parser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { 'import-x': importX },
    settings: {
      // NodeNext: `./x.js` in source names `./x.ts`
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'], extensionAlias: { '.js': ['.ts', '.js'] } })],
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // cycles are looked for inside a package; packages form a DAG (pnpm, tsc references)
      'import-x/ignore': ['/dist/', '/node_modules/'],
    },
    rules: {
      // type-only imports vanish at runtime and are not followed
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      // `const { key: _, ...rest } = o` drops a key on purpose
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_' }],
    },
  },
  boundary('packages/common/src', pkg('agent', 'common imports neither agent nor director'), pkg('director', 'common imports neither agent nor director')),
  boundary('packages/agent/src', DIRECTOR),
  boundary('packages/director/src', AGENT),
  // the engine returns data; cli/ decides how to print it
  boundary('packages/director/src/engine', AGENT, never('(^|/)cli(/|$)', 'the engine never imports cli/: return data and render it in cli/')),
  // core/ is what every command shares: it never reaches up into one command's module
  boundary(
    'packages/director/src/engine/core',
    AGENT,
    never('(^|/)cli(/|$)', 'the engine never imports cli/: return data and render it in cli/'),
    never('^\\.\\./[^/]+\\.js$', 'engine/core never imports a command module: move what both need into core/'),
  ),
  // tools are argv in, typed result out: they know nothing of providers or gRPC
  boundary(
    'packages/agent/src/tools',
    DIRECTOR,
    never('(^|/)providers(/|$)', 'tools never import providers'),
    never('(^|/)(rpc(/|$)|server\\.js$)|^@grpc/', 'tools never import rpc/ or gRPC'),
  ),
  // providers know nothing of gRPC: rpc/ turns their results into wire types
  boundary('packages/agent/src/providers', DIRECTOR, never('(^|/)(rpc(/|$)|server\\.js$)|^@grpc/', 'providers never import rpc/ or gRPC')),
  // tests and benchmarks use the packages as a user of them would: by name, through `exports`
  {
    files: ['test/**/*.ts', 'bench/**/*.mjs'],
    languageOptions: { parser: tseslint.parser },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [never('(^|/)packages/[^/]+/(src|dist|node_modules)(/|$)', 'import the packages by name (@freezeframe/<pkg>/<module>.js), through their exports')] },
      ],
    },
  },
);
