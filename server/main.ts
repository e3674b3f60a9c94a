import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createServer, type McpHttpServer } from './app';
import type { ServerConfig } from './config';

export interface RunningServer {
  readonly server: McpHttpServer;
  readonly http: Server;
  /** The base URL the server listens on, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Drains in-flight requests (up to the drain timeout) and stops listening. */
  shutdown(): Promise<void>;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Host names `/mcp` accepts: the public URL's host, plus the loopback names when bound to a
 * loopback address. Undefined (no check) only for a non-loopback bind without a public URL.
 */
export function allowedHostsFor(config: ServerConfig): string[] | undefined {
  const hosts: string[] = [];
  if (config.publicUrl) hosts.push(new URL(config.publicUrl).hostname);
  if (isLoopback(config.bindAddress)) hosts.push(...LOOPBACK_HOSTS);
  return hosts.length > 0 ? hosts : undefined;
}

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.');
}

/** Starts the server on the configured address. Resolves once it is listening. */
export async function startServer(
  config: ServerConfig,
  serverInfo: { name: string; version: string },
  logger = pino({ level: config.logLevel }),
): Promise<RunningServer> {
  const allowedHosts = allowedHostsFor(config);
  const server = createServer({ logger, serverInfo, ...(allowedHosts ? { allowedHosts } : {}) });
  const http = await new Promise<Server>((resolve, reject) => {
    const listening = server.app.listen(config.port, config.bindAddress, (error?: Error) => {
      if (error) reject(error);
      else resolve(listening);
    });
  });
  const { address, port } = http.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  logger.info(
    { url, publicUrl: config.publicUrl ?? null, allowedHosts: allowedHosts ?? 'any' },
    'mcpenv reference server listening',
  );
  if (!allowedHosts) {
    logger.warn('no PUBLIC_URL set on a non-loopback address: /mcp accepts any Host header; set PUBLIC_URL');
  }

  let closing: Promise<void> | undefined;
  const shutdown = () => {
    closing ??= new Promise<void>((resolve) => {
      server.startDraining();
      logger.info({ drainTimeoutSeconds: config.drainTimeoutSeconds }, 'draining');
      const force = setTimeout(() => http.closeAllConnections(), config.drainTimeoutSeconds * 1000);
      force.unref();
      http.close(() => {
        clearTimeout(force);
        logger.info('stopped');
        resolve();
      });
      http.closeIdleConnections();
    });
    return closing;
  };
  return { server, http, url, shutdown };
}
