import { type ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { TSX, TSX_ARGS } from './tsx';

const ROOT = path.resolve(__dirname, '..', '..');

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Every log line the server printed so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `mcpenv serve --port 0` (or another server script given as `command`) as a child
 * process and resolves with the URL it announces.
 * Bounded: rejects if the server does not announce itself within `timeoutMs`.
 */
export function startServerProcess(
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 30_000,
  command: readonly string[] = [path.join(ROOT, 'bin', 'mcpenv.ts'), 'serve', '--port', '0'],
): Promise<ServerProcess> {
  const child = spawn(TSX, [...TSX_ARGS, ...command], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    let buffered = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'mcpenv reference server listening') {
          clearTimeout(timer);
          resolve({
            url: String(entry.url),
            child,
            logs,
            stop: () => {
              if (child.exitCode === null) child.kill('SIGTERM');
              return exited;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening\n${stderr}`));
    });
  });
}
