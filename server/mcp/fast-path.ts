import type { CallToolResult, ReadResourceResult } from '@modelcontextprotocol/server';
import type { Request, Response } from 'express';
import type { McpExchange } from '../telemetry/operations';
import type { Principal } from '../tools/tool';

/** The revisions whose requests the fast path answers; everything else goes to the SDK. */
export const MODERN_REVISION = '2026-07-28';
const LEGACY_REVISIONS: ReadonlySet<string> = new Set(['2025-11-25', '2025-06-18', '2025-03-26']);

const ENVELOPE_PREFIX = 'io.modelcontextprotocol/';
const PROTOCOL_VERSION_KEY = `${ENVELOPE_PREFIX}protocolVersion`;
const CLIENT_CAPABILITIES_KEY = `${ENVELOPE_PREFIX}clientCapabilities`;
const CLIENT_INFO_KEY = `${ENVELOPE_PREFIX}clientInfo`;
const SERVER_INFO_KEY = `${ENVELOPE_PREFIX}serverInfo`;

export interface CacheHint {
  readonly ttlMs: number;
  readonly cacheScope: 'public' | 'private';
}

/** What the fast path answers with: the same domain functions the SDK's server calls. */
export interface FastPathDomain {
  readonly serverInfo: { readonly name: string; readonly version: string };
  /** Tools the fast path may call (the built-in domain tools, not fixture tools). */
  readonly toolNames: ReadonlySet<string>;
  /** `tools/list` result, or undefined when the list has tools the fast path does not own. */
  readonly toolList?: Record<string, unknown>;
  /** `resources/templates/list` result, or undefined when others register templates too. */
  readonly templateList?: Record<string, unknown>;
  /** `resources/list` is answered only when memories are all there is to list. */
  readonly ownsResourceList: boolean;
  /** `server/discover` result, or undefined when others add capabilities. */
  readonly discover?: Record<string, unknown>;
  readonly cacheHints: Readonly<Record<string, CacheHint>>;
  callTool(
    name: string,
    args: unknown,
    principal: Principal,
    requestId: string,
    signal: AbortSignal,
  ): Promise<CallToolResult>;
  listResources(principal: Principal, cursor: string | undefined): Promise<Record<string, unknown>>;
  readResource(principal: Principal, uri: string): Promise<ReadResourceResult | undefined>;
}

type Era = 'modern' | 'legacy';

interface Eligible {
  readonly era: Era;
  readonly id: string | number;
  readonly method: string;
  readonly params: Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function acceptsBoth(accept: string | undefined): boolean {
  return accept !== undefined && accept.includes('application/json') && accept.includes('text/event-stream');
}

/**
 * Trace context a client's instrumentation puts in `_meta` (unprefixed, as the OpenTelemetry MCP
 * conventions say): the telemetry reads it, no handler does, so it changes no answer.
 */
const PROPAGATION_KEYS: ReadonlySet<string> = new Set(['traceparent', 'tracestate', 'baggage']);

/** True when `_meta` is absent or holds only what a plain request carries for this era. */
function plainMeta(meta: unknown, era: Era): boolean {
  if (meta === undefined) return era === 'legacy';
  if (!isPlainObject(meta)) return false;
  let version = false;
  let capabilities = false;
  for (const [key, value] of Object.entries(meta)) {
    if (PROPAGATION_KEYS.has(key)) {
      if (typeof value !== 'string') return false;
      continue;
    }
    if (era === 'legacy') return false;
    if (key === PROTOCOL_VERSION_KEY) version = value === MODERN_REVISION;
    else if (key === CLIENT_CAPABILITIES_KEY) capabilities = isPlainObject(value);
    else if (key === CLIENT_INFO_KEY) {
      if (!isPlainObject(value) || typeof value.name !== 'string' || typeof value.version !== 'string')
        return false;
    } else return false;
  }
  return era === 'legacy' || (version && capabilities);
}

/** The field `Mcp-Name` must repeat for a method, if any. */
function nameField(method: string): 'name' | 'uri' | undefined {
  if (method === 'tools/call') return 'name';
  if (method === 'resources/read') return 'uri';
  return undefined;
}

const FAST_METHODS: ReadonlySet<string> = new Set([
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'ping',
  'server/discover',
]);

/**
 * Whether the fast path may answer this request. It takes only the plainest, valid requests of
 * either era: one JSON-RPC request (no batch), both media types accepted, headers that agree with
 * the body, a well-formed envelope and no progress token, logging level, input responses or
 * `Mcp-Param-*` headers. Anything else, including every invalid request, goes to the SDK's
 * handler, so errors keep the SDK's exact wire form.
 */
function eligible(req: Request, domain: FastPathDomain): Eligible | undefined {
  const body: unknown = req.body;
  if (!isPlainObject(body) || body.jsonrpc !== '2.0') return undefined;
  const { id, method } = body;
  if (typeof method !== 'string' || !FAST_METHODS.has(method)) return undefined;
  if (!(typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)))) return undefined;
  const params = body.params === undefined ? {} : body.params;
  if (!isPlainObject(params)) return undefined;
  const headers = req.headers;
  if (!acceptsBoth(headers.accept)) return undefined;
  const version = headers['mcp-protocol-version'];
  let era: Era;
  if (version === MODERN_REVISION) era = 'modern';
  else if (typeof version === 'string' && LEGACY_REVISIONS.has(version)) era = 'legacy';
  else return undefined;
  for (const name of Object.keys(headers)) if (name.startsWith('mcp-param-')) return undefined;
  if (!plainMeta(params._meta, era)) return undefined;
  if (era === 'modern') {
    if (headers['mcp-method'] !== method) return undefined;
    const field = nameField(method);
    const name = headers['mcp-name'];
    if (field === undefined ? name !== undefined : name !== params[field]) return undefined;
    if (method === 'ping') return undefined; // removed in 2026-07-28: the SDK answers it
  } else {
    if (method === 'server/discover') return undefined;
    if (headers['mcp-method'] !== undefined || headers['mcp-name'] !== undefined) return undefined;
  }
  for (const key of Object.keys(params)) {
    if (key !== '_meta' && key !== 'name' && key !== 'arguments' && key !== 'uri' && key !== 'cursor')
      return undefined;
  }
  switch (method) {
    case 'tools/call':
      if (typeof params.name !== 'string' || !domain.toolNames.has(params.name)) return undefined;
      if (params.arguments !== undefined && !isPlainObject(params.arguments)) return undefined;
      break;
    case 'tools/list':
      if (!domain.toolList || params.cursor !== undefined) return undefined;
      break;
    case 'resources/templates/list':
      if (!domain.templateList || params.cursor !== undefined) return undefined;
      break;
    case 'resources/list':
      if (!domain.ownsResourceList || (params.cursor !== undefined && typeof params.cursor !== 'string'))
        return undefined;
      break;
    case 'resources/read':
      if (typeof params.uri !== 'string') return undefined;
      break;
    case 'server/discover':
      if (!domain.discover || Object.keys(params).some((key) => key !== '_meta')) return undefined;
      break;
    default:
      if (Object.keys(params).some((key) => key !== '_meta')) return undefined;
  }
  return { era, id, method, params };
}

function send(res: Response, id: string | number, result: Record<string, unknown>): void {
  const body = `{"result":${JSON.stringify(result)},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The hot path in front of the SDK's handler: answers the common, valid requests of both
 * eras with the same results the SDK's server produces from the same domain functions, minus the
 * per-request server instance, the Node-to-fetch conversions and the schema walks. A guard test
 * sends every request it takes through both and compares the answers.
 */
export function createFastPath(domain: FastPathDomain) {
  const serverMeta = { [SERVER_INFO_KEY]: domain.serverInfo };

  function finish(era: Era, method: string, result: Record<string, unknown>): Record<string, unknown> {
    if (era === 'legacy') return result;
    const hint = domain.cacheHints[method];
    return { ...result, resultType: 'complete', ...(hint ?? {}), _meta: serverMeta };
  }

  /** Answers and returns true, or returns false without touching the response. */
  return async function tryFastPath(
    req: Request,
    res: Response,
    principal: Principal,
    requestId: string,
    exchange: Pick<McpExchange, 'answered'>,
  ): Promise<boolean> {
    const request = eligible(req, domain);
    if (!request) return false;
    const { era, id, method, params } = request;
    let result: Record<string, unknown>;
    switch (method) {
      case 'tools/call': {
        const abort = new AbortController();
        const onClose = () => {
          if (!res.writableEnded) abort.abort();
        };
        res.once('close', onClose);
        try {
          result = {
            ...(await domain.callTool(
              params.name as string,
              params.arguments,
              principal,
              requestId,
              abort.signal,
            )),
          };
        } finally {
          res.off('close', onClose);
        }
        break;
      }
      case 'tools/list':
        result = domain.toolList as Record<string, unknown>;
        break;
      case 'resources/templates/list':
        result = domain.templateList as Record<string, unknown>;
        break;
      case 'resources/list':
        try {
          result = await domain.listResources(principal, params.cursor as string | undefined);
        } catch {
          return false; // a bad cursor: the SDK's handler answers with its own error
        }
        break;
      case 'resources/read': {
        const read = await domain.readResource(principal, params.uri as string).catch(() => undefined);
        if (!read) return false; // not found: the SDK's handler answers with its own error
        result = { ...read };
        break;
      }
      case 'server/discover':
        result = domain.discover as Record<string, unknown>;
        break;
      default:
        result = {};
    }
    if (res.destroyed) return true;
    exchange.answered(id, result);
    send(res, id, finish(era, method, result));
    return true;
  };
}
