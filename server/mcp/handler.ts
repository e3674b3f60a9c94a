import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  type CallToolResult,
  createMcpHandler as createSdkHandler,
  type ListResourcesResult,
  McpServer,
  type McpRequestContext,
  type McpServerOptions,
  type ServerNotifier,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import { SSE_KEEPALIVE_INTERVAL_SECONDS, type ToolStatus } from '@mcpenv/contract';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { throttledLog } from '../log-throttle';
import type { ServerMetrics } from '../metrics';
import type { McpExchange } from '../telemetry/operations';
import { type MemoryService, ToolInputError } from '../store/memory-service';
import { statusOfResult, statusOfThrown } from '../tools/outcome';
import { type Principal, type ToolContext, type ToolDefinition, toolError } from '../tools/tool';
import { requestTenant, type TenantEventBus } from './change-bus';
import { type CacheHint, createFastPath, MODERN_REVISION } from './fast-path';
import { unstorableArgument } from './json-limits';

/** What the per-request server factory needs to know about the caller. */
interface RequestState {
  readonly principal: Principal;
  readonly requestId: string;
  /** The exchange's operations: a batch's messages run in their own spans' contexts. */
  readonly exchange: McpExchange;
  /** The `cursor` of a `resources/list` request, which the SDK's list callbacks are not given. */
  readonly cursor?: string;
}

/**
 * More surface on every request's server (the conformance fixtures): options merged into the
 * `McpServer`'s, and a hook that registers tools, resources and prompts on it.
 */
export interface ServerExtension {
  readonly serverOptions?: McpServerOptions;
  register(
    server: McpServer,
    context: { readonly era: McpRequestContext['era']; readonly notify: ServerNotifier },
  ): void;
}

export interface McpHandlerOptions {
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions?: string;
  readonly tools: readonly ToolDefinition[];
  readonly memories: MemoryService;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** The tenant-scoped bus `subscriptions/listen` streams subscribe to. */
  readonly bus: TenantEventBus;
  /** Registers extra surface on every request's server (the conformance fixtures). */
  readonly extend?: ServerExtension;
  /** SSE keep-alive comment interval. Default 15 s. */
  readonly keepAliveMs?: number;
  /**
   * Answer the plain, valid requests of both eras without building an SDK server for each
   * (same answers; see fast-path.ts). Default true; off serves everything through the SDK.
   */
  readonly fastPath?: boolean;
}

export interface McpHandler {
  /**
   * Serves one POST /mcp whose body express has parsed and whose caller is authenticated, inside
   * the span of its message when it is one (`exchange`).
   */
  handle(
    req: Request,
    res: Response,
    principal: Principal,
    requestId: string,
    exchange: McpExchange,
  ): Promise<void>;
  /** Ends every open listen stream with its final result; other requests keep being served. */
  endListenStreams(): Promise<void>;
}

const MEMORY_TEMPLATE = 'memory://{id}';
const MEMORY_TEMPLATE_INFO = {
  title: 'A stored memory',
  description: 'One memory of the team, as JSON: text, tags, metadata and creation time.',
  mimeType: 'application/json',
};
const CAPABILITIES = { tools: { listChanged: false }, resources: { listChanged: true } };

/**
 * Caching hints on 2026-07-28 list results. The tool list, the template and discovery are the
 * same for every caller and change only with a deployment; a tenant's memories are its own and
 * change with every write (listen streams say when).
 */
const SHARED_FOR_FIVE_MINUTES: CacheHint = { ttlMs: 300_000, cacheScope: 'public' };
const PRIVATE_UNCACHED: CacheHint = { ttlMs: 0, cacheScope: 'private' };
export const CACHE_HINTS: Readonly<Record<string, CacheHint>> = {
  'tools/list': SHARED_FOR_FIVE_MINUTES,
  'resources/templates/list': SHARED_FOR_FIVE_MINUTES,
  'server/discover': SHARED_FOR_FIVE_MINUTES,
  'resources/list': PRIVATE_UNCACHED,
  'resources/read': PRIVATE_UNCACHED,
};
const MEMORY_URI = /^memory:\/\/([0-9a-fA-F-]{36})$/;
const RESOURCE_PAGE = 50;

/** JSON Schema of a tool's arguments, computed once at start-up. */
function jsonSchemaOf(shape: z.ZodRawShape, strict: boolean): Record<string, unknown> {
  const object = strict ? z.strictObject(shape) : z.object(shape);
  const { $schema: _ignored, ...schema } = z.toJSONSchema(object, { io: 'input' }) as Record<string, unknown>;
  return schema;
}

/**
 * A schema the SDK lists but does not enforce: the handler validates arguments itself, so an
 * invalid call is a tool error the model can read (and is counted as one), with the message
 * this server has always given.
 */
function listedSchema(
  json: Record<string, unknown>,
): StandardSchemaWithJSON<unknown, Record<string, unknown>> {
  return {
    '~standard': {
      version: 1,
      vendor: 'mcpenv',
      validate: (value: unknown) => ({ value: value as Record<string, unknown> }),
      jsonSchema: { input: () => json, output: () => json },
    },
  };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`)
    .join('; ');
}

interface PreparedTool {
  readonly definition: ToolDefinition;
  readonly parse: z.ZodObject<z.ZodRawShape>;
  readonly input: StandardSchemaWithJSON<unknown, Record<string, unknown>>;
  readonly output?: StandardSchemaWithJSON<unknown, Record<string, unknown>>;
}

function cursorOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { method, params } = body as { method?: unknown; params?: { cursor?: unknown } };
  return method === 'resources/list' && typeof params?.cursor === 'string' ? params.cursor : undefined;
}

function isListenRequest(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { method?: unknown }).method === 'subscriptions/listen'
  );
}

/**
 * The MCP endpoint on the SDK's v2 serving entry: one handler answers the 2026-07-28 revision
 * (per-request `_meta`, `server/discover`, `subscriptions/listen`) and, statelessly, the
 * 2025-era revisions. Each request gets a fresh `McpServer` from the factory (the SDK's model),
 * but everything expensive (tool JSON Schemas, argument parsers) is built once here.
 */
export function createMcpHandler(options: McpHandlerOptions): McpHandler {
  const { metrics, logger, memories } = options;
  // A failing dependency fails every call alike: one line per tool per 10 s, with a count.
  const faultLog = throttledLog(logger);
  const tools = new Map<string, PreparedTool>();
  for (const definition of options.tools) {
    if (tools.has(definition.name)) throw new Error(`two tools are named "${definition.name}"`);
    tools.set(definition.name, {
      definition,
      parse: z.strictObject(definition.inputSchema),
      input: listedSchema(jsonSchemaOf(definition.inputSchema, true)),
      ...(definition.outputSchema
        ? { output: listedSchema(jsonSchemaOf(definition.outputSchema, false)) }
        : {}),
    });
  }

  /** The arguments as the tool's handler takes them; a `ToolInputError` when they are not. */
  function parseArguments(prepared: PreparedTool, args: unknown): Record<string, unknown> {
    const name = prepared.definition.name;
    const unstorable = unstorableArgument(args);
    if (unstorable) throw new ToolInputError(`Invalid arguments for ${name}: ${unstorable}`);
    const parsed = prepared.parse.safeParse(args ?? {});
    if (!parsed.success) {
      throw new ToolInputError(`Invalid arguments for ${name}: ${describeIssues(parsed.error)}`);
    }
    return parsed.data;
  }

  /**
   * Runs a tool and counts its outcome by whose fault a failure is (`tools/outcome.ts`). Both
   * faults answer with a tool error; the server's names the request id, never the cause.
   */
  async function callTool(
    prepared: PreparedTool,
    args: unknown,
    context: ToolContext,
  ): Promise<CallToolResult> {
    const name = prepared.definition.name;
    let result: CallToolResult;
    let status: ToolStatus;
    try {
      result = await prepared.definition.handler(parseArguments(prepared, args), context);
      status = statusOfResult(result);
      if (status === 'client_error') {
        logger.debug({ requestId: context.requestId, tool: name }, 'tool answered with a tool error');
      }
    } catch (error) {
      status = statusOfThrown(error);
      const message = error instanceof Error ? error.message : String(error);
      if (status === 'client_error') {
        logger.debug({ requestId: context.requestId, tool: name, err: message }, 'tool input refused');
        result = toolError(message);
      } else {
        const code = (error as { code?: unknown } | null)?.code;
        faultLog.error(
          {
            requestId: context.requestId,
            tool: name,
            err: message,
            ...(typeof code === 'string' ? { code } : {}),
          },
          `tool ${name} failed on the server`,
        );
        result = toolError(`${name} failed on the server; request id ${context.requestId}`);
      }
    }
    metrics.toolExecutionsTotal.inc({ tool_name: name, status });
    return result;
  }

  /** Lists memories; counted before the read, or (fast path) after it succeeded. */
  async function listMemories(
    principal: Principal,
    cursor: string | undefined,
    countAfter = false,
  ): Promise<ListResourcesResult> {
    if (!countAfter) metrics.resourceAccessTotal.inc({ resource_type: 'memory', operation: 'list' });
    let page;
    try {
      page = await memories.recent(principal.tenant, { limit: RESOURCE_PAGE, ...(cursor ? { cursor } : {}) });
    } catch (error) {
      if (error instanceof ToolInputError)
        throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message);
      throw error;
    }
    if (countAfter) metrics.resourceAccessTotal.inc({ resource_type: 'memory', operation: 'list' });
    return {
      resources: page.items.map((memory) => ({
        uri: `memory://${memory.id}`,
        name: memory.id,
        title: memory.text.length > 80 ? `${memory.text.slice(0, 77)}...` : memory.text,
        mimeType: 'application/json',
      })),
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
  }

  /** Reads a memory; counted before the read, or (fast path) after it found one. */
  async function readMemory(principal: Principal, uri: string, countAfter = false) {
    if (!countAfter) metrics.resourceAccessTotal.inc({ resource_type: 'memory', operation: 'read' });
    const id = MEMORY_URI.exec(uri)?.[1]?.toLowerCase();
    const memory = id ? await memories.get(principal.tenant, id) : undefined;
    if (!memory) return undefined;
    if (countAfter) metrics.resourceAccessTotal.inc({ resource_type: 'memory', operation: 'read' });
    return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(memory) }] };
  }

  function factory(context: McpRequestContext): McpServer {
    const state = context.authInfo?.extra as RequestState | undefined;
    if (!state) throw new Error('the MCP handler runs behind authenticate');
    const { principal, requestId, exchange } = state;
    const server = new McpServer(options.serverInfo, {
      capabilities: CAPABILITIES,
      cacheHints: CACHE_HINTS,
      ...(options.instructions ? { instructions: options.instructions } : {}),
      ...options.extend?.serverOptions,
    });
    for (const prepared of tools.values()) {
      const { definition } = prepared;
      server.registerTool(
        definition.name,
        {
          title: definition.title,
          description: definition.description,
          inputSchema: prepared.input,
          ...(prepared.output ? { outputSchema: prepared.output } : {}),
          ...(definition.annotations
            ? { annotations: { title: definition.title, ...definition.annotations } }
            : {}),
        },
        (args, ctx) =>
          exchange.within(ctx.mcpReq.id, () =>
            callTool(prepared, args, {
              principal,
              tenant: principal.tenant,
              requestId,
              signal: ctx.mcpReq.signal,
              memories,
            }),
          ),
      );
    }
    server.registerResource(
      'memory',
      new ResourceTemplate(MEMORY_TEMPLATE, {
        // Fixture mode lists its own resources beside the first page of memories.
        list: (ctx) =>
          exchange.within(ctx.mcpReq.id, async () => {
            const { nextCursor: _more, ...page } = await listMemories(principal, undefined);
            return page;
          }),
      }),
      MEMORY_TEMPLATE_INFO,
      (uri, _variables, ctx) =>
        exchange.within(ctx.mcpReq.id, async () => {
          const href = uri.toString();
          const read = await readMemory(principal, href);
          if (!read) throw new ResourceNotFoundError(href);
          return read;
        }),
    );
    if (options.extend) {
      options.extend.register(server, { era: context.era, notify: requestsHandler.notify });
    } else {
      // Only memories to list: page through them with the client's cursor.
      server.server.setRequestHandler('resources/list', (_request, ctx) =>
        exchange.within(ctx.mcpReq.id, () => listMemories(principal, state.cursor)),
      );
    }
    return server;
  }

  const onerror = (error: Error) => logger.debug({ err: error.message }, 'MCP request rejected');
  const sdkOptions = {
    legacy: 'stateless' as const,
    bus: options.bus,
    onerror,
    keepAliveMs: options.keepAliveMs ?? SSE_KEEPALIVE_INTERVAL_SECONDS * 1000,
  };
  const requestsHandler = createSdkHandler(factory, sdkOptions);
  const requests = toNodeHandler(requestsHandler, { onerror });
  // Listen streams get a handler of their own (same factory, same bus): closing it on drain
  // ends them with their final result while requests in flight on the other finish.
  const listenHandler = createSdkHandler(factory, sdkOptions);
  const listens = toNodeHandler(listenHandler, { onerror });

  const owned = !options.extend;
  const fast =
    options.fastPath === false
      ? undefined
      : createFastPath({
          serverInfo: options.serverInfo,
          toolNames: new Set(tools.keys()),
          ...(owned
            ? {
                toolList: {
                  tools: [...tools.values()].map(({ definition, input, output }) => ({
                    name: definition.name,
                    title: definition.title,
                    description: definition.description,
                    inputSchema: input['~standard'].jsonSchema.input({ target: 'draft-2020-12' }),
                    ...(definition.annotations
                      ? { annotations: { title: definition.title, ...definition.annotations } }
                      : {}),
                    ...(output
                      ? { outputSchema: output['~standard'].jsonSchema.output({ target: 'draft-2020-12' }) }
                      : {}),
                  })),
                },
                templateList: {
                  resourceTemplates: [
                    { name: 'memory', uriTemplate: MEMORY_TEMPLATE, ...MEMORY_TEMPLATE_INFO },
                  ],
                },
                discover: {
                  supportedVersions: [MODERN_REVISION],
                  capabilities: CAPABILITIES,
                  ...(options.instructions ? { instructions: options.instructions } : {}),
                },
              }
            : {}),
          ownsResourceList: owned,
          cacheHints: CACHE_HINTS,
          callTool: (name, args, principal, requestId, signal) =>
            callTool(tools.get(name) as PreparedTool, args, {
              principal,
              tenant: principal.tenant,
              requestId,
              signal,
              memories,
            }),
          listResources: (principal, cursor) =>
            listMemories(principal, cursor, true) as Promise<Record<string, unknown>>,
          readResource: (principal, uri) => readMemory(principal, uri, true),
        });

  return {
    handle: (req, res, principal, requestId, exchange) =>
      exchange.run(async () => {
        if (fast && (await fast(req, res, principal, requestId, exchange))) return;
        const cursor = cursorOf(req.body);
        const auth: AuthInfo = {
          token: '',
          clientId: principal.id,
          scopes: [...principal.scopes],
          extra: {
            principal,
            requestId,
            exchange,
            ...(cursor === undefined ? {} : { cursor }),
          } satisfies RequestState,
        };
        const node = Object.assign(req, { auth });
        const serve = isListenRequest(req.body) ? listens : requests;
        await requestTenant.run(principal.tenant, () => serve(node, res, req.body));
      }),
    endListenStreams: () => listenHandler.close(),
  };
}
