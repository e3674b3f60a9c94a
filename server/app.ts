import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ServerMetrics } from './metrics';
import { echoTool } from './tools/echo';
import type { ToolDefinition } from './tools/tool';

export interface CreateServerOptions {
  readonly logger: Logger;
  /** Name and version the server reports in `initialize`. */
  readonly serverInfo?: { readonly name: string; readonly version: string };
  /** Tools to offer. Default: the built-in tools. */
  readonly tools?: readonly ToolDefinition[];
  /**
   * Host names `/mcp` answers to (DNS-rebinding protection); other Host headers get 403.
   * Probes and metrics answer any Host, so the kubelet can reach them by pod IP.
   * Default: no check.
   */
  readonly allowedHosts?: readonly string[];
}

export interface McpHttpServer {
  /** The express app: mount it or `listen` on it. */
  readonly app: express.Express;
  readonly metrics: ServerMetrics;
  /** Marks the server as draining: `/readyz` answers 503 from now on. */
  startDraining(): void;
}

/** JSON-RPC methods are a closed set; anything else is labelled `other` to bound cardinality. */
const KNOWN_METHODS = new Set([
  'initialize',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'notifications/initialized',
  'notifications/cancelled',
]);

function rpcMethodLabel(body: unknown): string {
  if (Array.isArray(body)) return 'batch';
  const method = (body as { method?: unknown } | undefined)?.method;
  if (typeof method !== 'string') return 'invalid';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** Writes a JSON-RPC error, unless a response is already under way. */
function sendRpcError(res: Response, httpStatus: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.status(httpStatus).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

const REQUEST_ID = /^[\w.-]{1,128}$/;

/**
 * Builds the reference MCP server: Streamable HTTP at `/mcp` (stateless: every request gets
 * its own MCP server and transport, so no response can reach another client), `/healthz`,
 * `/readyz` and `/metrics`.
 */
export function createServer(options: CreateServerOptions): McpHttpServer {
  const { logger } = options;
  const serverInfo = options.serverInfo ?? { name: 'mcpenv-reference-server', version: '0.0.0' };
  const tools: readonly ToolDefinition[] = options.tools ?? [echoTool];
  const metrics = new ServerMetrics();
  let draining = false;

  function buildMcpServer(): McpServer {
    const server = new McpServer(serverInfo, { capabilities: { tools: {} } });
    for (const tool of tools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.inputSchema,
          ...(tool.annotations ? { annotations: tool.annotations } : {}),
        },
        async (args: Record<string, unknown>) => {
          try {
            const result = await tool.handler(args);
            metrics.toolExecutionsTotal.inc({
              tool_name: tool.name,
              status: result.isError ? 'error' : 'success',
            });
            return result;
          } catch (error) {
            metrics.toolExecutionsTotal.inc({ tool_name: tool.name, status: 'error' });
            throw error;
          }
        },
      );
    }
    return server;
  }

  const app = express();
  app.disable('x-powered-by');

  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.path,
          status: res.statusCode,
          durationMs: Math.round(durationMs),
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', (_req, res) => {
    if (draining) res.status(503).json({ status: 'draining' });
    else res.json({ status: 'ready' });
  });

  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });

  if (options.allowedHosts) app.use('/mcp', hostHeaderValidation([...options.allowedHosts]));

  app.post('/mcp', express.json({ limit: '1mb' }), async (req: Request, res: Response) => {
    const method = rpcMethodLabel(req.body);
    const stopTimer = metrics.requestDurationSeconds.startTimer({ method, endpoint: '/mcp' });
    metrics.activeConnections.inc();
    const server = buildMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      metrics.activeConnections.dec();
      stopTimer();
      metrics.requestsTotal.inc({ method, status: String(res.statusCode), endpoint: '/mcp' });
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, req.body);
    } catch (error) {
      logger.error({ err: error }, 'MCP request failed');
      sendRpcError(res, 500, -32603, 'Internal server error');
    }
  });

  app.all('/mcp', (_req, res) => {
    res.setHeader('allow', 'POST');
    sendRpcError(res, 405, -32000, 'Method not allowed: this stateless server accepts POST only');
  });

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });

  app.use(
    (
      error: Error & { type?: string; status?: number },
      _req: Request,
      res: Response,
      _next: NextFunction,
    ) => {
      if (error.type === 'entity.parse.failed') {
        sendRpcError(res, 400, -32700, 'Parse error: the body is not valid JSON');
      } else if (error.type === 'entity.too.large') {
        sendRpcError(res, 413, -32600, 'Request body too large (limit 1 MB)');
      } else {
        logger.error({ err: error }, 'unhandled error');
        sendRpcError(res, error.status ?? 500, -32603, 'Internal server error');
      }
    },
  );

  return {
    app,
    metrics,
    startDraining() {
      draining = true;
    },
  };
}
