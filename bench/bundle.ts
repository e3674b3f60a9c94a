import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');

/** Every package the repository's manifests name, except its own workspace packages. */
function dependencyNames(): string[] {
  const names = new Set<string>();
  for (const folder of ['.', 'server', 'constructs/contract']) {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, folder, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {}))
        if (!name.startsWith('@mcpenv/')) names.add(name);
    }
  }
  return [...names];
}

/**
 * Bundles the repository's own code reachable from `entry` (the workspace packages from their
 * TypeScript sources) into one CommonJS file for plain Node, as a production build runs: no
 * TypeScript loader in the process. Dependencies stay in node_modules (which also keeps pg and
 * ioredis where tracing's instrumentations can patch them). `alias` maps package names to other
 * sources, such as the workspace packages of an older commit.
 */
export function bundleForNode(entry: string, outfile: string, alias: Record<string, string> = {}): void {
  buildSync({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    conditions: ['mcpenv-source'],
    external: dependencyNames().flatMap((name) => [name, `${name}/*`]),
    alias,
    logLevel: 'error',
  });
}
