/**
 * easel's dependency direction, checked in `npm test` (`npm run lint:deps`):
 *
 *   core ← catalog ← providers ← config ← router ← webhooks ← batch ← easel ← server ← cli ← index
 *
 * plus leaves on core that any layer may use (budget, cache, http: the error envelope and bounded
 * bodies), and the sandbox, which depends on core and the catalog's vendor tables only: it plays
 * the vendors, so it must not lean on the code that talks to them. Type-only imports count: a type
 * is a dependency too.
 */
const layers = ['core', 'catalog', 'providers', 'config', 'router', 'webhooks', 'batch', 'easel', 'server', 'cli'];

/** One rule per layer: nothing in it may import a layer above it. */
const upward = layers.slice(0, -1).map((layer, i) => ({
  name: `${layer}-not-upward`,
  comment: `${layer} may not depend on ${layers.slice(i + 1).join(', ')} (the direction is ${layers.join(' ← ')})`,
  severity: 'error',
  from: { path: `^src/${layer}(/|\\.ts$)` },
  to: { path: `^src/(${layers.slice(i + 1).join('|')})(/|\\.ts$)` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: neither can change, load or be tested alone.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'core-is-the-root',
      comment: 'core imports nothing else of easel (version.ts aside): every other area builds on it.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/(core/|version\\.ts$)' },
    },
    {
      name: 'sandbox-plays-the-vendors',
      comment: 'The sandbox depends on core and the catalog only: it must not share code with the clients it answers.',
      severity: 'error',
      from: { path: '^src/sandbox/' },
      to: { path: '^src/(providers|config|router|webhooks|batch|easel|server|cli|budget|cache|http)(/|\\.ts$)' },
    },
    {
      name: 'leaves-stay-leaves',
      comment: 'budget, cache and http sit on core: they may not reach into the layers that use them.',
      severity: 'error',
      from: { path: '^src/(budget|cache|http)/' },
      to: { path: '^src/(catalog|providers|config|router|webhooks|batch|easel|server|cli|sandbox|budget|cache|http)(/|\\.ts$)', pathNot: '^src/$1/' },
    },
    {
      name: 'tests-and-benches-not-imported',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // TypeScript 7 ships no JS compiler API; swc parses TypeScript for dependency-cruiser.
    parser: 'swc',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
