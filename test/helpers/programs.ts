import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';

/**
 * Finds a program on the PATH. A missing program fails the test with the package to install;
 * integration tests never pass silently without the real thing.
 */
export function requireProgram(name: string, install: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  throw new Error(`${name} is not on the PATH: install ${install}`);
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to completion with a time bound; throws with its output if it fails. */
export function run(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean } = {},
): RunResult {
  const result = spawnSync(program, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  if (result.status !== 0 && !options.allowFailure) {
    throw new Error(
      `${path.basename(program)} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A system account to run a server as, e.g. `postgres`, which refuses to run as root. */
export interface SystemUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** setpriv(1) arguments that switch to `user` and drop the supplementary groups. */
export function setprivAs(user: SystemUser): string[] {
  return ['--reuid', String(user.uid), '--regid', String(user.gid), '--clear-groups'];
}

/**
 * The Node process itself. Jest hands each test file a copy of `process` (also as
 * `require('process')`) whose 'exit' event never fires; the Function constructor of a core
 * module belongs to Node's own realm, where `process` is the real one.
 */
function nodeProcess(): NodeJS.Process {
  const NodeFunction = inspect.constructor as FunctionConstructor;
  return new NodeFunction('return process')() as NodeJS.Process;
}

const exitCleanups = new Set<() => void>();

function runExitCleanups(): void {
  // Newest first, so a server is killed before its folder is removed.
  for (const cleanup of [...exitCleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is exiting and the next cleanup still deserves its turn.
    }
  }
}

/**
 * Runs `cleanup` (synchronous) when Node exits, for servers and folders a failed test never tore
 * down. Returns a function that cancels it. The listener is only attached while something is
 * registered, so test files run in one process do not pile up listeners.
 */
export function onExit(cleanup: () => void): () => void {
  const entry = (): void => cleanup();
  if (exitCleanups.size === 0) nodeProcess().on('exit', runExitCleanups);
  exitCleanups.add(entry);
  return () => {
    if (exitCleanups.delete(entry) && exitCleanups.size === 0) nodeProcess().off('exit', runExitCleanups);
  };
}

export interface DaemonOptions {
  readonly cwd: string;
  /** Receives the program's stdout and stderr (appended), so a failed start can show them. */
  readonly logFile: string;
  /** @default - the current user */
  readonly user?: SystemUser;
}

/** A long-running program started by `startDaemon`. */
export interface Daemon {
  /** Resolves once the program has exited; never rejects. */
  readonly exited: Promise<void>;
  /**
   * Calls `probe` every 50 ms until it resolves. Rejects with the log if the program exits first,
   * or kills it and rejects if `timeoutMs` passes; the probe itself must be bounded in time.
   */
  waitUntilReady(probe: () => Promise<void>, timeoutMs: number): Promise<void>;
  /** Sends `signal`, then SIGKILL if the program is still running after `timeoutMs`; waits for the exit. */
  stop(signal: NodeJS.Signals, timeoutMs: number): Promise<void>;
}

/** The end of a log file, for error messages. */
export function logTail(logFile: string, maxChars = 8_000): string {
  try {
    const text = fs.readFileSync(logFile, 'utf8');
    if (text === '') return '(empty)';
    return text.length > maxChars ? `...${text.slice(-maxChars)}` : text;
  } catch (error) {
    return `(no log: ${(error as Error).message})`;
  }
}

/**
 * Starts a server in the foreground with its output in `logFile`. It is started through
 * `setpriv --pdeathsig KILL`, so the kernel kills it if Node dies without running any cleanup
 * (a SIGKILLed jest worker); a normal exit kills it from an 'exit' listener. The child is unref'd:
 * a test that forgets to stop it does not keep jest from exiting.
 */
export function startDaemon(program: string, args: readonly string[], options: DaemonOptions): Daemon {
  const setpriv = requireProgram('setpriv', 'the Debian package util-linux');
  const name = path.basename(program);
  const logFd = fs.openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      setpriv,
      [...(options.user ? setprivAs(options.user) : []), '--pdeathsig', 'KILL', program, ...args],
      { cwd: options.cwd, stdio: ['ignore', logFd, logFd] },
    );
  } finally {
    fs.closeSync(logFd);
  }
  child.unref();
  const cancelExitKill = onExit(() => child.kill('SIGKILL'));
  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exitReason = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    child.once('error', (error) => {
      exitReason = `could not be started: ${error.message}`;
      resolve();
    });
  }).finally(cancelExitKill);

  const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
  const exitsWithin = async (ms: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    exited,
    async waitUntilReady(probe, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let lastError: unknown;
      for (;;) {
        if (exitReason !== undefined) {
          throw new Error(`${name} ${exitReason} before it was ready; its log:\n${logTail(options.logFile)}`);
        }
        try {
          await probe();
          return;
        } catch (error) {
          lastError = error;
        }
        if (Date.now() >= deadline) break;
        await delay(50);
      }
      child.kill('SIGKILL');
      throw new Error(
        `${name} was not ready within ${timeoutMs} ms (last check: ${(lastError as Error).message}); ` +
          `its log:\n${logTail(options.logFile)}`,
      );
    },
    async stop(signal, timeoutMs) {
      if (exitReason !== undefined) return;
      child.kill(signal);
      if (await exitsWithin(timeoutMs)) return;
      child.kill('SIGKILL');
      if (!(await exitsWithin(5_000))) {
        throw new Error(`${name} (pid ${child.pid}) did not exit after SIGKILL`);
      }
    },
  };
}
