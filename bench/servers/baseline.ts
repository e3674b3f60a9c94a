/**
 * Baseline for bench/server: a stateless MCP server built the way the SDK's stateless
 * Streamable HTTP example builds it — a new McpServer, tool registration and transport for
 * every request — serving the same trivial `echo` tool as the reference server under test.
 * Prints `listening <url>` on stdout.
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import express from 'express';
import { z } from 'zod';

const app = express();
app.use(express.json());

app.post('/mcp', async (req, res) => {
  const server = new McpServer({ name: 'baseline', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      title: 'Echo',
      description: 'Returns the given text unchanged.',
      inputSchema: { text: z.string().min(1).max(10_000).describe('Text to send back.') },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  try {
    await server.connect(transport);
    await transport.handleRequest(req, res, req.body);
  } catch {
    if (!res.headersSent)
      res.status(500).json({ jsonrpc: '2.0', error: { code: -32603, message: 'error' }, id: null });
  }
});

const listening = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = listening.address() as { port: number };
  process.stdout.write(`listening http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => listening.close(() => process.exit(0)));
