/**
 * The reference server's commands (`serve`, `migrate`, `apikey`, `probe`), registered on a Commander
 * program: the server's own `mcpenv-server` binary and, when this package is installed, the
 * `mcpenv` CLI of the library. Heavy modules (express, pg, PGlite, the MCP client) load only inside actions.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { registerApiKey } from './apikey';
import { registerMigrate } from './migrate';
import { registerProbe } from './probe';
import { registerServe } from './serve';

/** Names of the commands this package adds. */
export const SERVER_COMMANDS = ['serve', 'migrate', 'apikey', 'probe'] as const;

/** This package's version, read from its own package.json (sources and compiled output alike). */
export function serverVersion(start = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (name === '@mcpenv/server' && version) return version;
    }
    if (path.dirname(dir) === dir)
      throw new Error(`cannot find the @mcpenv/server package.json above ${start}`);
  }
}

export function registerServerCommands(program: Command): void {
  const version = serverVersion();
  registerServe(program, version);
  registerMigrate(program);
  registerApiKey(program);
  registerProbe(program, version);
}
