// Jest transform through esbuild (already used by tsx): strips TypeScript types and turns ES
// modules into CommonJS, including the few ESM-only packages the server loads (jose), which
// Jest's module system cannot import natively. `npm run typecheck` (tsc --noEmit) checks types.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const result = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
      // Dynamic import() becomes require(): Jest's CommonJS runtime has no ESM loader.
      supported: { 'dynamic-import': false },
    });
    return { code: result.code };
  },
};
