import { z } from 'zod';
import { defineTool } from './tool';

/** Returns its input: lets a client check end to end that calls reach the server. */
export const echoTool = defineTool({
  name: 'echo',
  title: 'Echo',
  description: 'Returns the given text unchanged. Use it to check that tool calls reach the server.',
  inputSchema: {
    text: z.string().min(1).max(10_000).describe('Text to send back, 1 to 10000 characters.'),
  },
  annotations: { readOnlyHint: true, idempotentHint: true },
  async handler({ text }) {
    return { content: [{ type: 'text', text }] };
  },
});
