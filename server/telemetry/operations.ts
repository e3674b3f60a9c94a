import type { IncomingHttpHeaders } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { Request, Response } from 'express';
import {
  LABEL_VALUES,
  type OperationErrorType,
  operationErrorType,
  protocolVersionLabel,
} from '@mcpenv/contract';
import { SseMessageReader, textOf } from '../mcp/sse-messages';
import type { ServerMetrics } from '../metrics';

/** JSON-RPC methods are a closed set; anything else is labelled `other` to bound cardinality. */
const KNOWN_METHODS: ReadonlySet<string> = new Set(LABEL_VALUES.rpcMethod);

/** The `method` label of one JSON-RPC message: its method if known, `other`, or `invalid` without one. */
function methodLabel(message: unknown): string {
  const method = (message as { method?: unknown } | null)?.method;
  if (typeof method !== 'string') return 'invalid';
  return KNOWN_METHODS.has(method) ? method : 'other';
}

/** The `method` label of a request body: its message's, `batch` for a batch, `none` when none was parsed. */
export function rpcMethodLabel(body: unknown): string {
  if (body === undefined) return 'none';
  if (Array.isArray(body)) return 'batch';
  return methodLabel(body);
}

/**
 * The revision a request speaks: its MCP-Protocol-Version header, or for a 2025 `initialize`
 * (which precedes the header) the version it proposes.
 */
export function protocolVersionOf(req: Request): string | undefined {
  const header = req.headers['mcp-protocol-version'];
  if (typeof header === 'string') return header;
  const body = req.body as { method?: unknown; params?: { protocolVersion?: unknown } } | undefined;
  if (body?.method === 'initialize' && typeof body.params?.protocolVersion === 'string') {
    return body.params.protocolVersion;
  }
  return undefined;
}

/** What a message's span may say about it: never its arguments, never its result. */
export interface TracedMessage {
  readonly method: string;
  /** The request id as a string; absent for notifications and null ids. */
  readonly requestId?: string;
  /** `tools/call`: the tool asked for. */
  readonly toolName?: string;
  /** `prompts/get`: the prompt asked for. */
  readonly promptName?: string;
  /** What follows the method in the span name: a registered tool or the prompt; never a resource URI. */
  readonly target?: string;
  /** `resources/read`, `subscribe` and `unsubscribe`: the resource. */
  readonly resourceUri?: string;
  /** `params._meta`: the propagators read `traceparent`, `tracestate` and `baggage` from it. */
  readonly meta?: Readonly<Record<string, unknown>>;
}

/** What the messages of one HTTP exchange share. */
export interface TracedExchange {
  readonly headers: IncomingHttpHeaders;
  /** The MCP revision, when it is one the server serves. */
  readonly protocolVersion?: string;
  /** A 2025 client's `Mcp-Session-Id`. */
  readonly sessionId?: string;
  /** The client's address behind the trusted proxies, and its port when no proxy stands between. */
  readonly clientAddress?: string;
  readonly clientPort?: number;
  readonly httpVersion: string;
  /** When the server took the exchange, in milliseconds since the epoch. */
  readonly startTime: number;
}

/** How a message ended: `errorType` '' on success. */
export interface MessageOutcome {
  readonly errorType: OperationErrorType;
  /** The JSON-RPC error the server answered with, if it did. */
  readonly error?: { readonly code: number; readonly message?: string };
}

/** The span of one message: what runs inside `run` is its child. */
export interface MessageSpan {
  run<T>(fn: () => T): T;
  end(outcome: MessageOutcome): void;
}

/** Starts message spans; loaded (with the OpenTelemetry SDK) only when tracing is on. */
export interface MessageTracer {
  start(message: TracedMessage, exchange: TracedExchange): MessageSpan;
}

/** Tracing as started by `startTracing`: the message tracer, and the flush at shutdown. */
export interface Tracing {
  readonly tracer: MessageTracer;
  /** Exports what is buffered and stops, within `timeoutMs`. */
  shutdown(timeoutMs: number): Promise<void>;
}

const SUCCESS: MessageOutcome = { errorType: '' };
/** An answer never written: the exchange was dropped, or no answer named the message. */
const UNANSWERED: MessageOutcome = { errorType: '_OTHER' };

type RequestId = string | number;

interface Operation {
  readonly method: string;
  /** The tool label: a registered tool's name, else ''. */
  readonly tool: string;
  /** Requests (listen streams among them) wait for an answer; the rest are acknowledged by the exchange. */
  readonly kind: 'request' | 'listen' | 'acknowledged';
  /** The request id its answer names. */
  readonly id: RequestId | undefined;
  span: MessageSpan | undefined;
  done: boolean;
}

function isRequestId(id: unknown): id is RequestId {
  return typeof id === 'string' || typeof id === 'number';
}

function errorOutcome(error: unknown): MessageOutcome {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'number') return UNANSWERED;
  return {
    errorType: operationErrorType(code),
    error: { code, ...(typeof message === 'string' ? { message } : {}) },
  };
}

/**
 * Every MCP request and notification the server handles, observed in one place: one
 * `mcp_server_operation_duration_seconds` observation each (the semantic conventions'
 * `mcp.server.operation.duration`) and, when tracing is on, one SERVER span each. Both paths of
 * the handler (the fast path and the SDK's) and every message of a batch go through here, and so
 * do the errors the pipeline answers before any handler runs.
 */
export class McpOperations {
  constructor(
    private readonly metrics: ServerMetrics,
    private readonly toolNames: ReadonlySet<string>,
    private readonly tracer?: MessageTracer,
  ) {}

  /**
   * Takes the exchange of an admitted caller from now on: its messages are known once the body is
   * parsed (`McpExchange.open`), and each ends when the answer naming it is written.
   */
  begin(req: Request, res: Response): McpExchange {
    return new McpExchange(this, req, res);
  }

  /** The tool label of a `tools/call`: registered tools by name, '' for anything else. */
  toolLabel(name: unknown): string {
    return typeof name === 'string' && this.toolNames.has(name) ? name : '';
  }

  /** Whether messages get spans: the one branch an untraced message pays. */
  get tracing(): boolean {
    return this.tracer !== undefined;
  }

  startSpan(message: TracedMessage, exchange: TracedExchange): MessageSpan | undefined {
    return this.tracer?.start(message, exchange);
  }

  observe(method: string, tool: string, errorType: string, protocolVersion: string, seconds: number): void {
    this.metrics.operationDurationSeconds.observe(
      {
        mcp_method_name: method,
        gen_ai_tool_name: tool,
        error_type: errorType,
        mcp_protocol_version: protocolVersion,
        network_transport: LABEL_VALUES.networkTransport[0],
      },
      seconds,
    );
  }
}

/**
 * One POST to `/mcp`, from admission to its last answer. Answers are read from what the server
 * writes (a JSON body or SSE events, whoever wrote them: the SDK, the pipeline's refusals, the
 * response deadline), except the fast path's, which it reports with `answered` before writing.
 */
export class McpExchange {
  private readonly startedAt = performance.now();
  private operations?: Operation[];
  /** A batch's requests by id; a single message is found without it. */
  private byId?: Map<RequestId, Operation>;
  private pending = 0;
  private protocolVersion: string = LABEL_VALUES.protocolVersionFallback[0];
  /** An error answered for the whole exchange (id null): what every unanswered message ends with. */
  private failure?: MessageOutcome;
  /** A JSON answer as written so far (decoded across chunks). */
  private json?: { text: string; readonly decoder: StringDecoder };
  private sse?: SseMessageReader;
  private closed = false;

  constructor(
    private readonly owner: McpOperations,
    private readonly req: Request,
    private readonly res: Response,
  ) {
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.write = ((chunk: unknown, ...rest: unknown[]) => {
      this.read(chunk, false);
      return write(chunk, ...rest);
    }) as Response['write'];
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      this.read(typeof chunk === 'function' ? undefined : chunk, true);
      const ended = end(chunk, ...rest);
      this.close(true);
      return ended;
    }) as Response['end'];
    res.on('close', () => this.close(false));
  }

  /** Learns the messages of the parsed body; a body never parsed is one operation labelled `none`. */
  open(body: unknown): void {
    if (this.operations) return;
    this.protocolVersion = protocolVersionLabel(protocolVersionOf(this.req));
    if (!Array.isArray(body)) {
      this.operations = [
        body === undefined ? this.bodyOperation(body) : this.operation(body as Record<string, unknown>),
      ];
    } else if (body.length === 0) {
      this.operations = [this.bodyOperation(body)];
    } else {
      this.operations = body.map((message) => this.operation(message as Record<string, unknown>));
      this.byId = new Map();
      for (const operation of this.operations) {
        if (operation.id !== undefined && !this.byId.has(operation.id))
          this.byId.set(operation.id, operation);
      }
    }
    this.pending = this.operations.length;
  }

  /** Runs `fn` in the span's context when the exchange is one traced message. */
  run<T>(fn: () => T): T {
    const span = this.operations?.length === 1 ? this.operations[0]?.span : undefined;
    return span ? span.run(fn) : fn();
  }

  /** Runs `fn` in the context of the request `id`'s span (a message of a batch), if it has one. */
  within<T>(id: RequestId, fn: () => T): T {
    const span = this.find(id)?.span;
    return span ? span.run(fn) : fn();
  }

  /** The fast path's answer to request `id`, reported before it is written. */
  answered(id: RequestId, result: Record<string, unknown>): void {
    const operation = this.find(id);
    if (operation) this.end(operation, this.resultOutcome(operation, result));
  }

  private find(id: RequestId): Operation | undefined {
    if (this.byId) return this.byId.get(id);
    const only = this.operations?.[0];
    return only?.id === id ? only : undefined;
  }

  /** One operation for a body with no message in it: not JSON, or an empty batch. */
  private bodyOperation(body: unknown): Operation {
    return {
      method: rpcMethodLabel(body),
      tool: '',
      kind: 'request',
      id: undefined,
      span: undefined,
      done: false,
    };
  }

  private operation(message: Record<string, unknown> | null): Operation {
    const { id, method, params } = message ?? {};
    const args = (typeof params === 'object' && params !== null ? params : {}) as Record<string, unknown>;
    const toolName = method === 'tools/call' && typeof args.name === 'string' ? args.name : undefined;
    const requestId = isRequestId(id) ? id : undefined;
    const operation: Operation = {
      method: methodLabel(message),
      tool: this.owner.toolLabel(toolName),
      kind:
        requestId === undefined ? 'acknowledged' : method === 'subscriptions/listen' ? 'listen' : 'request',
      id: requestId,
      span: undefined,
      done: false,
    };
    if (this.owner.tracing && typeof method === 'string') {
      operation.span = this.startSpan(method, requestId, args, toolName);
    }
    return operation;
  }

  private startSpan(
    method: string,
    id: RequestId | undefined,
    args: Record<string, unknown>,
    toolName: string | undefined,
  ): MessageSpan | undefined {
    const promptName = method === 'prompts/get' && typeof args.name === 'string' ? args.name : undefined;
    const tool = this.owner.toolLabel(toolName);
    const uri = args.uri;
    const meta = args._meta;
    return this.owner.startSpan(
      {
        method,
        ...(id === undefined ? {} : { requestId: String(id) }),
        ...(toolName === undefined ? {} : { toolName }),
        ...(promptName === undefined ? {} : { promptName }),
        ...(tool !== '' ? { target: tool } : promptName === undefined ? {} : { target: promptName }),
        ...(typeof uri === 'string' && /^resources\/(read|subscribe|unsubscribe)$/.test(method)
          ? { resourceUri: uri }
          : {}),
        ...(typeof meta === 'object' && meta !== null ? { meta: meta as Record<string, unknown> } : {}),
      },
      this.tracedExchange(),
    );
  }

  private tracedExchange(): TracedExchange {
    const { req } = this;
    const sessionId = req.headers['mcp-session-id'];
    const clientAddress = req.ip;
    const behindProxy = clientAddress !== req.socket.remoteAddress;
    return {
      headers: req.headers,
      ...(this.protocolVersion === LABEL_VALUES.protocolVersionFallback[0]
        ? {}
        : { protocolVersion: this.protocolVersion }),
      ...(typeof sessionId === 'string' ? { sessionId } : {}),
      ...(clientAddress === undefined ? {} : { clientAddress }),
      ...(behindProxy || req.socket.remotePort === undefined ? {} : { clientPort: req.socket.remotePort }),
      httpVersion: req.httpVersion,
      startTime: performance.timeOrigin + this.startedAt,
    };
  }

  private resultOutcome(operation: Operation, result: unknown): MessageOutcome {
    const toolError =
      operation.method === 'tools/call' && (result as { isError?: unknown } | null)?.isError === true;
    return toolError ? { errorType: operationErrorType('tool_error') } : SUCCESS;
  }

  /** Notes the answers in a chunk of the response; once every message is answered, reads nothing. */
  private read(chunk: unknown, last: boolean): void {
    if (this.operations !== undefined && this.pending === 0) return;
    const type = String(this.res.getHeader('content-type') ?? '');
    if (type.startsWith('text/event-stream')) {
      // A listen stream's operation is taking the subscription: its lifetime is not a latency.
      for (const operation of this.operations ?? []) {
        if (operation.kind === 'listen') this.end(operation, SUCCESS);
      }
      this.sse ??= new SseMessageReader();
      for (const message of this.sse.read(chunk)) this.answer(message);
    } else if (type.startsWith('application/json')) {
      this.json ??= { text: '', decoder: new StringDecoder('utf8') };
      this.json.text += textOf(chunk, this.json.decoder);
      if (!last) return;
      let answers: unknown;
      try {
        answers = JSON.parse(this.json.text);
      } catch {
        return;
      }
      for (const message of Array.isArray(answers) ? answers : [answers]) this.answer(message);
    }
  }

  private answer(message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    if (!('result' in message) && !('error' in message)) return;
    const { id, result, error } = message as { id?: unknown; result?: unknown; error?: unknown };
    const operation = isRequestId(id) ? this.find(id) : undefined;
    if (operation) {
      this.end(operation, error === undefined ? this.resultOutcome(operation, result) : errorOutcome(error));
    } else if (error !== undefined && (id === null || id === undefined || this.operations === undefined)) {
      this.failure ??= errorOutcome(error);
    }
  }

  private end(operation: Operation, outcome: MessageOutcome): void {
    if (operation.done) return;
    operation.done = true;
    this.pending--;
    const seconds = (performance.now() - this.startedAt) / 1000;
    this.owner.observe(operation.method, operation.tool, outcome.errorType, this.protocolVersion, seconds);
    operation.span?.end(outcome);
  }

  /**
   * Ends what is left when the response is complete (`completed`) or its connection closed first:
   * with the exchange's error if there was one; notifications as acknowledged when the response
   * completed without an error status; anything else as unanswered.
   */
  private close(completed: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.open(this.req.body);
    const acknowledged = completed && this.res.statusCode < 400 ? SUCCESS : UNANSWERED;
    for (const operation of this.operations ?? []) {
      if (operation.done) continue;
      this.end(operation, this.failure ?? (operation.kind === 'acknowledged' ? acknowledged : UNANSWERED));
    }
  }
}
