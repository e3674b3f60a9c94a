/**
 * The SDK v2 anchor for bench/server: `createMcpHandler` with one factory for both protocol
 * generations (2026-07-28 per request, 2025 revisions through the default stateless legacy
 * leg), mounted on Express as the SDK's "Serve with Express" guide mounts it:
 * `createMcpExpressApp()` and `toNodeHandler(handler)` with the parsed body. Serves the same
 * trivial `echo` tool as the other bench servers. Prints `listening <url>` on stdout.
 */
import { createMcpExpressApp } from '@modelcontextprotocol/express';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';

const handler = createMcpHandler(
  () => {
    const server = new McpServer({ name: 'sdk-v2-anchor', version: '1.0.0' });
    server.registerTool(
      'echo',
      {
        title: 'Echo',
        description: 'Returns the given text unchanged.',
        inputSchema: z.object({ text: z.string().min(1).max(10_000).describe('Text to send back.') }),
      },
      async ({ text }) => ({ content: [{ type: 'text', text }] }),
    );
    return server;
  },
  { legacy: 'stateless' },
);

const app = createMcpExpressApp();
const node = toNodeHandler(handler);
app.all('/mcp', (req, res) => void node(req, res, req.body));

const listening = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = listening.address() as { port: number };
  process.stdout.write(`listening http://127.0.0.1:${address.port}\n`);
});
process.once('SIGTERM', () => {
  void handler.close();
  listening.close(() => process.exit(0));
});
