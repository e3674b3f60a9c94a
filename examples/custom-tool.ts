/**
 * An org's own MCP server on the mcpenv reference server: add a tool, keep auth, metrics, rate
 * limits, probes and the memory tools. Run it with the same environment variables as
 * `mcpenv serve` (see the README):
 *
 *   npx tsx --conditions=mcpenv-source examples/custom-tool.ts   (in this repository)
 *
 * In your own project, `npm install @mcpenv/server zod` and run it the same way without the flag.
 */
import { z } from 'zod';
import { defineTool, MEMORY_TOOLS, parseServerConfig, startServer, structuredResult } from '@mcpenv/server';

/** Echoes its input: the smallest useful tool, also the one the server benchmark calls. */
export const echoTool = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Returns the given text unchanged. Use it to check that tool calls reach the server.',
  inputSchema: { text: z.string().min(1).max(10_000).describe('Text to send back, 1 to 10000 characters.') },
  outputSchema: { text: z.string().describe('The same text.') },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  async handler({ text }) {
    return structuredResult({ text });
  },
});

async function main() {
  const config = parseServerConfig(process.env);
  const running = await startServer(config, {
    serverInfo: { name: 'acme-team-memory', version: '1.0.0' },
    tools: [...MEMORY_TOOLS, echoTool],
  });
  process.once('SIGTERM', () => void running.shutdown().then(() => process.exit(0)));
  process.once('SIGINT', () => void running.shutdown().then(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error: Error & { exitCode?: number }) => {
    console.error(error.message);
    process.exit(error.exitCode ?? 1);
  });
}
