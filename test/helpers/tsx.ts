import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** tsx from this repository's install: runs the TypeScript sources directly. */
export const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/**
 * Arguments before the script: the workspace packages (`@mcpenv/contract`, `@mcpenv/server`)
 * resolve to their sources through this export condition, as `npm run mcpenv` does.
 */
export const TSX_ARGS = ['--conditions=mcpenv-source'] as const;
