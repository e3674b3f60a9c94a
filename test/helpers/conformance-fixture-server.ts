import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  InMemoryServerEventBus,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  McpServer,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import {
  conformanceFixtureServerOptions,
  registerConformanceFixtures,
} from '../../server/mcp/conformance-fixtures';

/**
 * A bare development server for the conformance fixtures: the SDK's `createMcpHandler` with the
 * stateless legacy leg and an in-process event bus, behind the SDK's localhost Host/Origin
 * guards, on node:http on 127.0.0.1. Not the product server (`mcpenv serve --conformance-fixtures`);
 * it proves the fixtures and the conformance runner without it.
 */
export interface FixtureServer {
  /** The MCP endpoint, `http://localhost:<port>/mcp`. */
  readonly url: string;
  close(): Promise<void>;
}

const REQUEST_STATE_KEY = 'conformance-fixture-server-request-state-key-0123456789';

function headersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return headers;
}

async function writeWebResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  res.end(Buffer.from(await response.arrayBuffer()));
}

export async function startConformanceFixtureServer(port = 0): Promise<FixtureServer> {
  const bus = new InMemoryServerEventBus();
  const handler = createMcpHandler(
    (ctx) => {
      const server = new McpServer(
        { name: 'mcpenv-conformance-fixtures', version: '0.1.0' },
        conformanceFixtureServerOptions({ requestStateKey: REQUEST_STATE_KEY }),
      );
      registerConformanceFixtures(server, { era: ctx.era, requestStateKey: REQUEST_STATE_KEY, notify });
      return server;
    },
    { legacy: 'stateless', bus },
  );
  // The factory runs per request, after the handler exists; the handler's facade publishes on `bus`.
  const notify = handler.notify;
  const serve = toNodeHandler(handler);

  const http = createServer((req, res) => {
    void (async () => {
      const url = `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
      const probe = new Request(url, { method: req.method ?? 'GET', headers: headersOf(req) });
      const rejected =
        hostHeaderValidationResponse(probe, localhostAllowedHostnames()) ??
        originValidationResponse(probe, localhostAllowedOrigins());
      if (rejected) return writeWebResponse(rejected, res);
      if (new URL(url).pathname !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      return serve(req, res);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32603, message: String(error) } }));
    });
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const { port: bound } = http.address() as AddressInfo;
  return {
    url: `http://localhost:${bound}/mcp`,
    close: async () => {
      await handler.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** `tsx test/helpers/conformance-fixture-server.ts [port]` serves until interrupted. */
if (require.main === module) {
  void startConformanceFixtureServer(Number(process.argv[2] ?? 0)).then((server) => {
    process.stdout.write(`${server.url}\n`);
  });
}
