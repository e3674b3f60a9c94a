import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ServerMetrics } from '../metrics';
import { type MemoryService, ToolInputError } from '../store/memory-service';
import { answerJsonExchange } from './json-exchange';
import { type Principal, type ToolContext, type ToolDefinition, toolError } from '../tools/tool';

export interface McpHandlerOptions {
  readonly serverInfo: { readonly name: string; readonly version: string };
  readonly instructions?: string;
  readonly tools: readonly ToolDefinition[];
  readonly memories: MemoryService;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
}

interface PreparedTool {
  readonly definition: ToolDefinition;
  readonly parse: z.ZodObject<z.ZodRawShape>;
}

const MEMORY_URI = /^memory:\/\/([0-9a-fA-F-]{36})$/;
const RESOURCE_PAGE = 50;

function jsonSchemaOf(shape: z.ZodRawShape): Tool['inputSchema'] {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(z.strictObject(shape), { io: 'input' }) as Record<
    string,
    unknown
  >;
  return schema as Tool['inputSchema'];
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`)
    .join('; ');
}

/** Whether any request in the body asks for progress: then the reply streams (SSE) to carry it. */
function wantsStream(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) =>
      typeof message === 'object' &&
      message !== null &&
      (message as { params?: { _meta?: { progressToken?: unknown } } }).params?._meta?.progressToken !==
        undefined,
  );
}

/**
 * Handles one POST to `/mcp`. Each request gets its own MCP `Server` and transport (the SDK
 * requires this isolation: a server connected to several clients can send a response to the
 * wrong one), but everything expensive — tool JSON Schemas, argument validators, the tool list —
 * is built once here and shared.
 */
export function createMcpHandler(options: McpHandlerOptions) {
  const { metrics, logger, memories } = options;
  const tools = new Map<string, PreparedTool>();
  for (const definition of options.tools) {
    if (tools.has(definition.name)) throw new Error(`two tools are named "${definition.name}"`);
    tools.set(definition.name, { definition, parse: z.strictObject(definition.inputSchema) });
  }
  const toolList = {
    tools: options.tools.map((tool): Tool => ({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: jsonSchemaOf(tool.inputSchema),
      ...(tool.outputSchema ? { outputSchema: jsonSchemaOf(tool.outputSchema) } : {}),
      ...(tool.annotations ? { annotations: { title: tool.title, ...tool.annotations } } : {}),
    })),
  };
  // The SDK's Server builds an Ajv instance unless given one: costly per request, so share it.
  const jsonSchemaValidator = new AjvJsonSchemaValidator();
  const templateList = {
    resourceTemplates: [
      {
        uriTemplate: 'memory://{id}',
        name: 'memory',
        title: 'A stored memory',
        description: 'One memory of the team, as JSON: text, tags, metadata and creation time.',
        mimeType: 'application/json',
      },
    ],
  };

  async function callTool(name: string, args: unknown, context: ToolContext): Promise<CallToolResult> {
    const tool = tools.get(name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const parsed = tool.parse.safeParse(args ?? {});
    if (!parsed.success) {
      metrics.toolExecutionsTotal.inc({ tool_name: name, status: 'error' });
      return toolError(`Invalid arguments for ${name}: ${describeIssues(parsed.error)}`);
    }
    try {
      const result = await tool.definition.handler(parsed.data, context);
      metrics.toolExecutionsTotal.inc({ tool_name: name, status: result.isError ? 'error' : 'success' });
      return result;
    } catch (error) {
      metrics.toolExecutionsTotal.inc({ tool_name: name, status: 'error' });
      if (error instanceof ToolInputError) return toolError(error.message);
      logger.error(
        { requestId: context.requestId, tool: name, err: (error as Error).message },
        'tool failed',
      );
      return toolError(`${name} failed on the server; request id ${context.requestId}`);
    }
  }

  function buildServer(principal: Principal, requestId: string): Server {
    const server = new Server(options.serverInfo, {
      capabilities: { tools: {}, resources: {} },
      jsonSchemaValidator,
      ...(options.instructions ? { instructions: options.instructions } : {}),
    });
    const contextFor = (signal: AbortSignal): ToolContext => ({
      principal,
      tenant: principal.tenant,
      requestId,
      signal,
      memories,
    });
    server.setRequestHandler(ListToolsRequestSchema, () => toolList);
    server.setRequestHandler(CallToolRequestSchema, (request, extra) =>
      callTool(request.params.name, request.params.arguments, contextFor(extra.signal)),
    );
    server.setRequestHandler(ListResourceTemplatesRequestSchema, () => templateList);
    server.setRequestHandler(ListResourcesRequestSchema, async (request) => {
      metrics.resourceAccessTotal.inc({ resource_type: 'memory', operation: 'list' });
      let page;
      try {
        page = await memories.recent(principal.tenant, {
          limit: RESOURCE_PAGE,
          ...(request.params?.cursor ? { cursor: request.params.cursor } : {}),
        });
      } catch (error) {
        if (error instanceof ToolInputError) throw new McpError(ErrorCode.InvalidParams, error.message);
        throw error;
      }
      return {
        resources: page.items.map((memory) => ({
          uri: `memory://${memory.id}`,
          name: memory.id,
          title: memory.text.length > 80 ? `${memory.text.slice(0, 77)}...` : memory.text,
          mimeType: 'application/json',
        })),
        ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
      };
    });
    server.setRequestHandler(ReadResourceRequestSchema, async (request) => {
      metrics.resourceAccessTotal.inc({ resource_type: 'memory', operation: 'read' });
      const id = MEMORY_URI.exec(request.params.uri)?.[1]?.toLowerCase();
      const memory = id ? await memories.get(principal.tenant, id) : undefined;
      if (!memory) {
        throw new McpError(-32002, `Resource not found: ${request.params.uri}`, { uri: request.params.uri });
      }
      return {
        contents: [{ uri: request.params.uri, mimeType: 'application/json', text: JSON.stringify(memory) }],
      };
    });
    return server;
  }

  return async function handleMcp(req: Request, res: Response, principal: Principal, requestId: string) {
    if (!wantsStream(req.body)) {
      await answerJsonExchange(req, res, () => buildServer(principal, requestId));
      return;
    }
    // Progress needs a stream: the SDK transport answers with SSE.
    const server = buildServer(principal, requestId);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  };
}
