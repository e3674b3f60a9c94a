/**
 * The in-cluster Redis's start and readiness scripts, run as the container runs them: by dash
 * (the image's /bin/sh) with the Debian redis-server, on a free loopback port, with nothing but
 * the password file's path in the environment. (That no argument or variable of the container
 * holds the password is checked on the manifest, in test/constructs/k8s/data.test.ts.)
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { REDIS_READY_SCRIPT, REDIS_START_SCRIPT } from '../../constructs/k8s/data';
import { removeTempDirs, tempDir } from '../helpers/fixtures';
import { freePort } from '../helpers/ports';
import { onExit, requireProgram } from '../helpers/programs';

afterAll(removeTempDirs);

const dash = requireProgram('dash', 'the Debian package dash');
requireProgram('redis-server', 'the Debian package redis-server');
requireProgram('od', 'the Debian package coreutils');

interface Started {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Starts the script with the password file holding `password` (exact bytes). */
async function startRedis(password: Buffer): Promise<Started> {
  const dir = tempDir('mcpenv-redis-start-');
  const file = path.join(dir, 'password');
  fs.writeFileSync(file, password, { mode: 0o440 });
  const port = await freePort();
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
  ];
  const child = spawn(dash, ['-c', REDIS_START_SCRIPT, 'redis-server', ...args], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REDIS_PASSWORD_FILE: file },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const cancel = onExit(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  ).finally(cancel);
  return { child, port, exited };
}

/** Sends RESP commands and collects the replies (one line each), bounded in time. */
function send(port: number, ...commands: Buffer[][]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(new Error('no reply within 5 s')), 5_000);
    let received = '';
    socket.on('connect', () => {
      for (const command of commands) {
        const parts = command.flatMap((part) => [
          Buffer.from(`$${part.length}\r\n`),
          part,
          Buffer.from('\r\n'),
        ]);
        socket.write(Buffer.concat([Buffer.from(`*${command.length}\r\n`), ...parts]));
      }
    });
    socket.on('data', (chunk) => {
      received += chunk.toString();
      const lines = received.split('\r\n').filter(Boolean);
      if (lines.length >= commands.length) {
        clearTimeout(timer);
        socket.end();
        resolve(lines);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

const word = (text: string) => Buffer.from(text);

async function waitUntilAnswering(started: Started): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const replies = await send(started.port, [word('PING')]).catch(() => []);
    if (replies.length > 0) return;
    if (Date.now() > deadline || started.child.exitCode !== null) {
      throw new Error(
        `redis-server did not answer: ${(await Promise.race([started.exited, Promise.resolve(undefined)]))?.stderr ?? ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The readiness script, pointed at the test's port (the pod's Redis listens on 6379). */
function ready(port: number): number | null {
  const script = REDIS_READY_SCRIPT.replace('redis-cli ', `redis-cli -p ${port} `);
  return spawnSync(dash, ['-c', script], { timeout: 10_000 }).status;
}

describe('the in-cluster Redis start script with the real redis-server', () => {
  test.each([
    ['a plain password', 'correct-horse-battery-staple'],
    ['quotes, backslashes, dollars and spaces', 'a "quoted" \\back\\slash $HOME `x` and spaces'],
    ['non-ASCII text', 'pässwörd–日本'],
    ['a newline inside', 'line one\nline two'],
  ])(
    'requires exactly the password from the file: %s',
    async (_case, text) => {
      const password = Buffer.from(text);
      const started = await startRedis(password);
      try {
        await waitUntilAnswering(started);
        expect(await send(started.port, [word('PING')])).toEqual(['-NOAUTH Authentication required.']);
        expect(await send(started.port, [word('AUTH'), Buffer.from(`${text}x`)], [word('PING')])).toEqual([
          '-WRONGPASS invalid username-password pair or user is disabled.',
          '-NOAUTH Authentication required.',
        ]);
        expect(await send(started.port, [word('AUTH'), password], [word('PING')])).toEqual(['+OK', '+PONG']);
      } finally {
        started.child.kill('SIGTERM');
        await started.exited;
      }
    },
    60_000,
  );

  test.each([
    ['one trailing newline, as a Secret made --from-file has', 'from-a-file\n', 'from-a-file'],
    ['only the last of two trailing newlines', 'two-newlines\n\n', 'two-newlines\n'],
  ])(
    'drops %s, as the MCP server does when it reads the file',
    async (_case, content, expected) => {
      const started = await startRedis(Buffer.from(content));
      try {
        await waitUntilAnswering(started);
        expect(await send(started.port, [word('AUTH'), Buffer.from(content)], [word('PING')])).toEqual([
          '-WRONGPASS invalid username-password pair or user is disabled.',
          '-NOAUTH Authentication required.',
        ]);
        expect(await send(started.port, [word('AUTH'), Buffer.from(expected)], [word('PING')])).toEqual([
          '+OK',
          '+PONG',
        ]);
      } finally {
        started.child.kill('SIGTERM');
        await started.exited;
      }
    },
    60_000,
  );

  test('keeps redis-server as the process that gets SIGTERM, so it shuts down cleanly', async () => {
    const started = await startRedis(Buffer.from('secret-for-sigterm'));
    await waitUntilAnswering(started);
    started.child.kill('SIGTERM');
    const exit = await started.exited;
    // exec replaced dash: redis-server handled SIGTERM itself and exited 0.
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  }, 60_000);

  test.each([
    ['empty', ''],
    ['only a newline', '\n'],
  ])(
    'refuses to start with a password file that is %s, naming the file and the Secret key',
    async (_case, content) => {
      const started = await startRedis(Buffer.from(content));
      const exit = await started.exited;
      expect(exit.code).toBe(1);
      expect(exit.stderr).toMatch(
        /\/password is missing or empty: put the password under the key 'password' of the Secret/,
      );
    },
    30_000,
  );

  test('the readiness script passes once Redis answers, without ever sending the password', async () => {
    const started = await startRedis(Buffer.from('secret-for-readiness'));
    try {
      await waitUntilAnswering(started);
      expect(ready(started.port)).toBe(0);
    } finally {
      started.child.kill('SIGTERM');
      await started.exited;
    }
    expect(ready(started.port)).toBe(1);
  }, 60_000);
});
