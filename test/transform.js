// Jest transform for TypeScript through esbuild (already used by tsx): strips types only;
// `npm run typecheck` (tsc --noEmit) does the type-checking.
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
