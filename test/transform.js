// Jest transform through esbuild (already used by tsx): strips TypeScript types and emits
// CommonJS, keeping import() as a real dynamic import so that ESM-only packages (jose) and
// PGlite load through Jest's ESM support (--experimental-vm-modules in the npm scripts).
// `npm run typecheck` (tsc --noEmit) checks the types. The `node` platform annotates the export
// names, so that a TypeScript module loaded by import() (the CLI's lazy commands) has its named
// exports, as Node's own loader gives it.
const crypto = require('node:crypto');
const fs = require('node:fs');
const { transformSync, version } = require('esbuild');

// Jest caches transformed files by their source; this file and esbuild shape the output too.
const TRANSFORM_SOURCE = fs.readFileSync(module.filename);

module.exports = {
  getCacheKey(source, filename, { configString }) {
    return crypto
      .createHash('sha256')
      .update(TRANSFORM_SOURCE)
      .update(`\0${version}\0${filename}\0${configString}\0`)
      .update(source)
      .digest('hex');
  },
  process(source, filename) {
    const result = transformSync(source, {
      loader: 'ts',
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code: result.code };
  },
};
