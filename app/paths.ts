import * as fs from 'node:fs';
import * as path from 'node:path';

/** The mcpenv package root, whether running from sources (tsx) or from the compiled `lib/`. */
function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'mcpenv') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the mcpenv package root above ${start}`);
    dir = parent;
  }
}

export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** Folder of the example environments shipped with mcpenv. */
export const ENVIRONMENTS_DIR = path.join(PACKAGE_ROOT, 'app', 'environments');

/** The environment `mcpenv synth` builds when none is named. */
export const DEFAULT_ENVIRONMENT = 'dev';

/** Default output folder of an environment, relative to the working directory. */
export function defaultOutDir(environment: string): string {
  return path.join('dist', environment);
}
