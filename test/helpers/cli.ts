import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { main } from '../../bin/mcpenv';
import { TSX, TSX_ARGS } from './tsx';

const ROOT = path.resolve(__dirname, '..', '..');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs the mcpenv CLI from sources in a new process, as `npm run mcpenv -- <args>` does. Each
 * call starts Node and loads the libraries again (seconds): use it where the process itself is
 * under test (the binary's exit code, colour on a non-terminal), `runCliInProcess` elsewhere.
 */
export function runCli(args: readonly string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(TSX, [...TSX_ARGS, path.join(ROOT, 'bin', 'mcpenv.ts'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs a CLI from sources in a new process, as `runCli` does, without blocking this one: a server
 * in this test's process keeps answering the command. `script` picks the binary (default
 * `bin/mcpenv.ts`; `server/bin.ts` is `mcpenv-server`). Bounded: killed after `timeoutMs`.
 */
export function runCliAsync(
  args: readonly string[],
  options: CliOptions & { readonly script?: string; readonly timeoutMs?: number } = {},
): Promise<CliResult> {
  const child = spawn(TSX, [...TSX_ARGS, path.join(ROOT, options.script ?? 'bin/mcpenv.ts'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Sets environment variables, returning a function that puts the previous values back. */
function overrideEnv(env: NodeJS.ProcessEnv): () => void {
  const previous = Object.entries(env).map(([name]) => [name, process.env[name]] as const);
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Collects what is written to a stream until `restore` is called. */
function capture(stream: NodeJS.WriteStream): { text: () => string; restore: () => void } {
  let text = '';
  const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: unknown, ...rest: unknown[]) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  });
  return { text: () => text, restore: () => spy.mockRestore() };
}

/**
 * Runs the mcpenv CLI in this process: the same program, arguments, environment and working
 * folder as `runCli`, without a new Node process per call. Output, environment variables, the
 * working folder and the exit code are borrowed for the call and put back after it.
 */
export async function runCliInProcess(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const previousExitCode = process.exitCode;
  const previousCwd = process.cwd();
  const restoreEnv = overrideEnv({ NO_COLOR: '1', ...options.env });
  const stdout = capture(process.stdout);
  const stderr = capture(process.stderr);
  process.exitCode = undefined;
  try {
    process.chdir(options.cwd ?? ROOT);
    await main(['node', path.join(ROOT, 'bin', 'mcpenv.ts'), ...args]);
    return { status: Number(process.exitCode ?? 0), stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    process.exitCode = previousExitCode;
    process.chdir(previousCwd);
    stdout.restore();
    stderr.restore();
    restoreEnv();
  }
}
