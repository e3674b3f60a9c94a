import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { TSX, TSX_ARGS } from './tsx';

const ROOT = path.resolve(__dirname, '..', '..');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the mcpenv CLI from sources, as `npm run mcpenv -- <args>` does. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliResult {
  const result = spawnSync(TSX, [...TSX_ARGS, path.join(ROOT, 'bin', 'mcpenv.ts'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
