/**
 * A 2026-07-28 `subscriptions/listen` stream read as a real client reads it: one POST whose
 * SSE response stays open, its messages collected as they arrive.
 */

export const MODERN = '2026-07-28';

export const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'mcpenv-test', version: '1.0.0' },
};

/** Headers and body of one 2026-07-28 request. */
export function modernRequest(
  method: string,
  params: Record<string, unknown>,
  options: { id?: string | number; name?: string; token?: string; meta?: Record<string, unknown> } = {},
): { headers: Record<string, string>; body: string } {
  return {
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...(options.name === undefined ? {} : { 'mcp-name': options.name }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: options.id ?? 1,
      method,
      params: { ...params, _meta: { ...ENVELOPE, ...options.meta } },
    }),
  };
}

/** A JSON-RPC message as it arrives on the stream. */
export interface RpcMessage {
  readonly jsonrpc?: string;
  readonly id?: string | number;
  readonly method?: string;
  readonly params?: { readonly _meta?: Record<string, unknown>; readonly [key: string]: unknown };
  readonly result?: Record<string, unknown>;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

export interface ListenStream {
  /** Every JSON-RPC message received so far. */
  readonly messages: RpcMessage[];
  /** Resolves when the server ended the stream. */
  readonly ended: Promise<void>;
  /** Resolves with the first message (after `from`) that matches, or rejects after `timeoutMs`. */
  next(match: (message: RpcMessage) => boolean, timeoutMs: number, from?: number): Promise<RpcMessage>;
  close(): void;
}

export async function openListenStream(
  baseUrl: string,
  notifications: Record<string, unknown>,
  token?: string,
): Promise<ListenStream> {
  const abort = new AbortController();
  const { headers, body } = modernRequest(
    'subscriptions/listen',
    { notifications },
    {
      id: 'listen-1',
      ...(token === undefined ? {} : { token }),
    },
  );
  const res = await fetch(`${baseUrl}/mcp`, { method: 'POST', headers, body, signal: abort.signal });
  if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
    throw new Error(`listen stream refused: HTTP ${res.status} ${await res.text()}`);
  }
  const messages: RpcMessage[] = [];
  const waiters = new Set<() => void>();
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const ended = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = frame
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          if (data) messages.push(JSON.parse(data) as RpcMessage);
        }
        for (const wake of [...waiters]) wake();
      }
    } catch {
      // aborted by close()
    } finally {
      for (const wake of [...waiters]) wake();
    }
  })();
  let finished = false;
  void ended.then(() => {
    finished = true;
  });
  return {
    messages,
    ended,
    next(match, timeoutMs, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.slice(from).find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (finished) {
            cleanup();
            reject(new Error(`stream ended without the message; got ${JSON.stringify(messages)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}
