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

/** Starts the server on the configured address. Resolves once it is listening. */
export async function startServer(
  config: ServerConfig,
  serverInfo: { name: string; version: string },
  logger = pino({ level: config.logLevel }),
): Promise<RunningServer> {
  const server = createServer({ logger, serverInfo });
  const http = await new Promise<Server>((resolve, reject) => {
    const listening = server.app.listen(config.port, config.bindAddress, (error?: Error) => {
      if (error) reject(error);
      else resolve(listening);
    });
  });
  const { address, port } = http.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  logger.info({ url, publicUrl: config.publicUrl ?? null }, 'mcpenv reference server listening');

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
