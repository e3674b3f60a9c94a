/**
 * The two request generations bench/server sends, built once: the same `tools/call` of `echo`
 * as a 2026-07-28 client sends it (per-request `_meta` envelope, `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` headers) and as a stateless 2025-11-25 client sends it (the
 * version header, no initialize). Also the checks that an answer really is the echo result of
 * that generation, so a server cannot look fast by answering something else.
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  CLIENT_INFO_META_KEY,
  PROTOCOL_VERSION_META_KEY,
} from '@modelcontextprotocol/client';

export const MODERN_REVISION = '2026-07-28';
export const LEGACY_REVISION = '2025-11-25';
export const ECHO_TEXT = 'hello from autocannon';

export type GenerationName = 'modern' | 'legacy';

export interface Generation {
  readonly name: GenerationName;
  readonly revision: string;
  readonly body: string;
  /** Headers every request of this generation carries, besides the caller's own (auth). */
  readonly headers: Readonly<Record<string, string>>;
  /** Cheap check for every answer under load: the echo text, in this generation's result shape. */
  readonly bodyLooksRight: (body: string) => boolean;
}

const ACCEPT = 'application/json, text/event-stream';
const echoArguments = { name: 'echo', arguments: { text: ECHO_TEXT } };

/** 2026-07-28 results carry `resultType` (required there); 2025 results never do. */
const MODERN_MARK = '"resultType":"complete"';

export const MODERN: Generation = {
  name: 'modern',
  revision: MODERN_REVISION,
  body: JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: {
      ...echoArguments,
      _meta: {
        [PROTOCOL_VERSION_META_KEY]: MODERN_REVISION,
        [CLIENT_INFO_META_KEY]: { name: 'mcpenv-bench', version: '0.0.0' },
        [CLIENT_CAPABILITIES_META_KEY]: {},
      },
    },
  }),
  headers: {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': MODERN_REVISION,
    'mcp-method': 'tools/call',
    'mcp-name': 'echo',
  },
  bodyLooksRight: (body) => body.includes(ECHO_TEXT) && body.includes(MODERN_MARK),
};

export const LEGACY: Generation = {
  name: 'legacy',
  revision: LEGACY_REVISION,
  body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: echoArguments }),
  headers: {
    'content-type': 'application/json',
    accept: ACCEPT,
    'mcp-protocol-version': LEGACY_REVISION,
  },
  bodyLooksRight: (body) => body.includes(ECHO_TEXT) && !body.includes('"resultType"'),
};

interface JsonRpcAnswer {
  readonly id?: unknown;
  readonly result?: { readonly content?: unknown; readonly resultType?: unknown; readonly isError?: unknown };
  readonly error?: { readonly code?: unknown; readonly message?: unknown };
}

/** The JSON-RPC message of a JSON answer or of the first `data:` line of an SSE answer. */
function parseAnswer(contentType: string, text: string): JsonRpcAnswer {
  if (contentType.startsWith('text/event-stream')) {
    const data = text
      .split('\n')
      .find((line) => line.startsWith('data:'))
      ?.slice('data:'.length);
    if (data === undefined) throw new Error('an SSE answer without a data line');
    return JSON.parse(data) as JsonRpcAnswer;
  }
  return JSON.parse(text) as JsonRpcAnswer;
}

/**
 * Sends one request of `generation` and returns why its answer is not a correct echo result
 * of that generation, or `undefined` when it is.
 */
export async function checkEcho(
  url: string,
  generation: Generation,
  headers: Readonly<Record<string, string>>,
): Promise<string | undefined> {
  let status: number;
  let contentType: string;
  let text: string;
  try {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { ...generation.headers, ...headers },
      body: generation.body,
      signal: AbortSignal.timeout(10_000),
    });
    status = res.status;
    contentType = res.headers.get('content-type') ?? '';
    text = await res.text();
  } catch (error) {
    return `request failed: ${(error as Error).message}`;
  }
  const shown = `HTTP ${status}: ${text.replace(/\s+/g, ' ').slice(0, 300)}`;
  if (status !== 200) return shown;
  let answer: JsonRpcAnswer;
  try {
    answer = parseAnswer(contentType, text);
  } catch (error) {
    return `unreadable answer (${(error as Error).message}); ${shown}`;
  }
  if (answer.error) return `JSON-RPC error; ${shown}`;
  if (answer.id !== 1) return `answer is not for request id 1; ${shown}`;
  const content = JSON.stringify(answer.result?.content ?? null);
  if (answer.result?.isError === true || !content.includes(ECHO_TEXT)) {
    return `result does not hold the echo text; ${shown}`;
  }
  const modernShape = answer.result?.resultType === 'complete';
  if (generation.name === 'modern' && !modernShape) {
    return `not a ${MODERN_REVISION} result (no resultType "complete"): the server answered as a 2025 server; ${shown}`;
  }
  if (generation.name === 'legacy' && answer.result?.resultType !== undefined) {
    return `a 2025 request got a ${MODERN_REVISION} result (resultType present); ${shown}`;
  }
  if (!generation.bodyLooksRight(text)) return `the load check would reject this answer; ${shown}`;
  return undefined;
}
