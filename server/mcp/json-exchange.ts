import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type RequestId,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { Request, Response } from 'express';

/** The SDK's limit on messages in one batch. */
const MAX_BATCH = 100;

/**
 * A transport for exactly one HTTP exchange answered with JSON: it hands the request's messages
 * to a freshly connected MCP server and collects the server's responses. It does what the SDK's
 * Streamable HTTP transport does in stateless JSON mode, without converting every Node request
 * into a web-standard Request and back, which is most of the SDK transport's cost per request.
 */
class SingleExchangeTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport['onmessage'];
  private readonly awaiting: Set<RequestId>;
  private readonly responses: JSONRPCMessage[] = [];
  private settle!: () => void;
  /** Resolves when every request of the exchange has its response. */
  readonly answered = new Promise<void>((resolve) => {
    this.settle = resolve;
  });

  constructor(requestIds: readonly RequestId[]) {
    this.awaiting = new Set(requestIds);
  }

  async start() {}

  async send(message: JSONRPCMessage) {
    // Server-initiated requests and notifications have no stream to travel on in JSON mode;
    // callers that want progress ask for it and get the SSE path instead.
    if (!isJSONRPCResultResponse(message) && !isJSONRPCErrorResponse(message)) return;
    if (message.id === undefined || !this.awaiting.delete(message.id)) return;
    this.responses.push(message);
    if (this.awaiting.size === 0) this.settle();
  }

  async close() {
    this.settle();
    this.onclose?.();
  }

  get collected(): readonly JSONRPCMessage[] {
    return this.responses;
  }
}

function rpcError(res: Response, status: number, code: number, message: string) {
  if (!res.headersSent) res.status(status).json({ jsonrpc: '2.0', error: { code, message }, id: null });
}

function isJsonMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

/** The part of an MCP server the exchange needs (the SDK's `Server`/`Protocol`). */
export interface Connectable {
  connect(transport: Transport): Promise<void>;
}

/**
 * Answers one POST /mcp in JSON. Validation mirrors the SDK transport: 406 without both
 * accepted media types, 415 for a non-JSON body, 400 for a malformed message, a multi-message
 * initialize or an unsupported MCP-Protocol-Version, 202 when there is nothing to answer.
 */
export async function answerJsonExchange(req: Request, res: Response, createServer: () => Connectable) {
  const accept = req.get('accept') ?? '';
  if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
    rpcError(
      res,
      406,
      -32000,
      'Not Acceptable: Client must accept both application/json and text/event-stream',
    );
    return;
  }
  if (!isJsonMediaType(req.get('content-type'))) {
    rpcError(res, 415, -32000, 'Unsupported Media Type: Content-Type must be application/json');
    return;
  }
  const raw: unknown = req.body;
  if (Array.isArray(raw) && raw.length > MAX_BATCH) {
    rpcError(res, 400, -32600, `Invalid Request: Batch must not exceed ${MAX_BATCH} messages`);
    return;
  }
  const messages: JSONRPCMessage[] = [];
  for (const candidate of Array.isArray(raw) ? raw : [raw]) {
    const parsed = JSONRPCMessageSchema.safeParse(candidate);
    if (!parsed.success) {
      rpcError(res, 400, -32700, 'Parse error: Invalid JSON-RPC message');
      return;
    }
    messages.push(parsed.data);
  }
  const initializing = messages.some(isInitializeRequest);
  if (initializing && messages.length > 1) {
    rpcError(res, 400, -32600, 'Invalid Request: Only one initialization request is allowed');
    return;
  }
  const version = req.get('mcp-protocol-version');
  if (!initializing && version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    rpcError(
      res,
      400,
      -32000,
      `Bad Request: Unsupported protocol version: ${version} (supported versions: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
    );
    return;
  }
  const requests = messages.filter(isJSONRPCRequest);
  if (requests.length === 0) {
    // Notifications and responses only: a stateless server has nothing to do with them.
    res.status(202).end();
    return;
  }

  const transport = new SingleExchangeTransport(requests.map((request) => request.id));
  const server = createServer();
  await server.connect(transport);
  // A client that goes away cancels its requests: the close aborts the handlers' signals.
  const abandon = () => void transport.close();
  res.once('close', abandon);
  const requestInfo = { headers: req.headers };
  for (const message of messages) transport.onmessage?.(message, { requestInfo });
  await transport.answered;
  res.off('close', abandon);
  const replies = transport.collected;
  if (res.writableEnded || res.destroyed) return;
  res.status(200).json(Array.isArray(raw) ? replies : replies[0]);
}
