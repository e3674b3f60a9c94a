// Jest transform through esbuild (already used by tsx): strips TypeScript types and emits
// CommonJS, keeping import() as a real dynamic import so that ESM-only packages (jose) and
// PGlite load through Jest's ESM support (--experimental-vm-modules in the npm scripts).
// `npm run typecheck` (tsc --noEmit) checks the types.
const { transformSync } = require('esbuild');

module.exports = {
  process(source, filename) {
    const result = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code: result.code };
  },
};
