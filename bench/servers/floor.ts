/**
 * The floor for bench/server: bare `node:http` that reads the body, parses the JSON-RPC
 * request and answers a `tools/call` of `echo` — no MCP SDK, no validation of headers or
 * envelope, nothing else. It bounds what any MCP server on Node can reach on this machine: a
 * result near it says the remaining cost is Node's HTTP stack and JSON. Answers both request
 * generations (a 2026-07-28 request gets `resultType: 'complete'`, as that revision requires).
 * Prints `listening <url>` on stdout.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

const MODERN_REVISION = '2026-07-28';

interface EchoRequest {
  readonly jsonrpc?: string;
  readonly id?: string | number | null;
  readonly method?: string;
  readonly params?: { readonly name?: string; readonly arguments?: { readonly text?: unknown } };
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: IncomingMessage, res: ServerResponse, raw: string): void {
  let message: EchoRequest;
  try {
    message = JSON.parse(raw) as EchoRequest;
  } catch {
    return answer(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
  }
  const text = message.params?.arguments?.text;
  if (message.method !== 'tools/call' || message.params?.name !== 'echo' || typeof text !== 'string') {
    return answer(res, 400, {
      jsonrpc: '2.0',
      id: message.id ?? null,
      error: { code: -32601, message: 'Only tools/call of echo is served here' },
    });
  }
  const modern = req.headers['mcp-protocol-version'] === MODERN_REVISION;
  answer(res, 200, {
    jsonrpc: '2.0',
    id: message.id ?? null,
    result: { content: [{ type: 'text', text }], ...(modern ? { resultType: 'complete' } : {}) },
  });
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/mcp') return answer(res, 405, { error: 'POST /mcp only' });
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`listening http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
