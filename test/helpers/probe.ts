/**
 * What the probe's tests need around the server: a self-signed certificate made with openssl, a
 * loopback TLS front (the edge, as in production), and `mcpenv probe` as a child process in a
 * process group of its own, torn down as a group.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { onExit, requireProgram, run } from './programs';
import { TSX, TSX_ARGS } from './tsx';

const ROOT = path.resolve(__dirname, '..', '..');

/** A self-signed certificate for `localhost` and its key. */
export interface Certificate {
  readonly pem: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/** Makes a certificate for `localhost` valid 30 days, in `<dir>/<name>.crt` and `.key`. */
export function localhostCertificate(dir: string, name: string): Certificate {
  const openssl = requireProgram('openssl', 'the Debian package openssl');
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  run(openssl, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '30',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
  ]);
  return { pem: fs.readFileSync(certFile, 'utf8'), certFile, keyFile };
}

/** A loopback TLS terminator in front of a plain-HTTP server. */
export interface TlsFront {
  readonly port: number;
  /** The plain-HTTP port connections are piped to; set once the server behind it listens. */
  upstream: number;
  close(): Promise<void>;
}

export async function startTlsFront(certificate: Certificate): Promise<TlsFront> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const listener = tls.createServer(
    { key: fs.readFileSync(certificate.keyFile), cert: certificate.pem },
    (socket) => {
      const upstream = net.connect(front.upstream, '127.0.0.1');
      track(socket);
      track(upstream);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
    },
  );
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const front: TlsFront = {
    port: (listener.address() as net.AddressInfo).port,
    upstream: 0,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
  return front;
}

/** `mcpenv probe` running in a child process, its stdout lines parsed as they come. */
export interface ProbeProcess {
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  readonly stdout: () => string;
  /** Resolves with the first line that `matches`; rejects after `timeoutMs` or if the process exits. */
  line(
    matches: (line: Record<string, unknown>, index: number) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Kills the whole process group (tsx and the Node process it starts) and waits for the exit. */
  destroy(): Promise<void>;
}

/** Starts `mcpenv probe <args>` (through tsx, in a process group of its own). */
export function startProbeProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): ProbeProcess {
  const child = spawn(TSX, [...TSX_ARGS, path.join(ROOT, 'bin', 'mcpenv.ts'), 'probe', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group has already exited.
    }
  };
  const cancelExitKill = onExit(killGroup);
  const lines: Record<string, unknown>[] = [];
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n')) {
      lines.push(JSON.parse(pending.slice(0, newline)) as Record<string, unknown>);
      pending = pending.slice(newline + 1);
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stdout: () => stdout,
    exited,
    async line(matches, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.find(matches);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(
            `no such line (exit code ${child.exitCode}); stdout:\n${stdout}\nstderr:\n${stderr}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async destroy() {
      killGroup();
      await exited;
      cancelExitKill();
    },
  };
}
