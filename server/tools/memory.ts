import { z } from 'zod';
import { defineTool, structuredResult, toolError } from './tool';

const TAG = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._:/-]*$/, 'lowercase letters, digits and . _ : / - only')
  .describe('A tag: lowercase letters, digits and . _ : / -, at most 64 characters.');

const METADATA_MAX_BYTES = 8192;

const memoryShape = {
  id: z.string().describe('Memory id (UUID).'),
  text: z.string().describe('The remembered text.'),
  tags: z.array(z.string()).describe('Tags of the memory.'),
  metadata: z.record(z.string(), z.unknown()).describe('Metadata stored with the memory.'),
  createdAt: z.string().describe('When the memory was stored (ISO 8601, UTC).'),
};

const MEMORY_ID = z.uuid({ error: 'must be a memory id (a UUID returned by memory_store)' });

export const memoryStoreTool = defineTool({
  name: 'memory_store',
  title: 'Store a memory',
  description:
    "Saves a piece of knowledge to the team's shared memory so that later conversations can find it " +
    'with memory_search. Returns the new memory id.',
  inputSchema: {
    text: z.string().min(1).max(32_000).describe('What to remember, 1 to 32000 characters.'),
    tags: z
      .array(TAG)
      .max(20)
      .default([])
      .describe('Up to 20 tags to filter searches by, e.g. ["runbook", "billing"].'),
    metadata: z
      .record(z.string(), z.unknown())
      .default({})
      .refine((value) => Buffer.byteLength(JSON.stringify(value)) <= METADATA_MAX_BYTES, {
        error: `must serialize to at most ${METADATA_MAX_BYTES} bytes of JSON`,
      })
      .describe('Optional JSON object stored with the memory (source, author, links), at most 8 KB.'),
  },
  outputSchema: {
    id: z.string().describe('Id of the new memory.'),
    createdAt: z.string().describe('When it was stored (ISO 8601, UTC).'),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async handler({ text, tags, metadata }, { tenant, memories }) {
    const record = await memories.store(tenant, { text, tags: [...new Set(tags)], metadata });
    return structuredResult({ id: record.id, createdAt: record.createdAt });
  },
});

export const memorySearchTool = defineTool({
  name: 'memory_search',
  title: 'Search memories',
  description:
    "Full-text search of the team's shared memory, best matches first. Supports web-search syntax: " +
    'several words (all must match), "quoted phrases", OR, and -word to exclude.',
  inputSchema: {
    query: z.string().min(1).max(500).describe('Search text, 1 to 500 characters.'),
    tags: z.array(TAG).max(20).default([]).describe('Only return memories carrying all of these tags.'),
    limit: z.number().int().min(1).max(50).default(10).describe('Results per page, 1 to 50. Default 10.'),
    cursor: z
      .string()
      .max(1000)
      .optional()
      .describe('nextCursor from the previous page, to get the next one.'),
  },
  outputSchema: {
    items: z
      .array(z.object({ ...memoryShape, score: z.number().describe('Relevance; higher is better.') }))
      .describe('Matching memories, best first.'),
    nextCursor: z
      .string()
      .optional()
      .describe('Pass as cursor to get the next page; absent on the last page.'),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  // A bad cursor or query throws a ToolInputError, which the caller reads as a tool error.
  async handler({ query, tags, limit, cursor }, { tenant, memories }) {
    const page = await memories.search(tenant, { query, tags, limit, ...(cursor ? { cursor } : {}) });
    return structuredResult({ ...page });
  },
});

export const memoryGetTool = defineTool({
  name: 'memory_get',
  title: 'Get a memory',
  description: 'Returns one memory by its id, with its tags and metadata.',
  inputSchema: { id: MEMORY_ID.describe('Id of the memory, as returned by memory_store or memory_search.') },
  outputSchema: memoryShape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async handler({ id }, { tenant, memories }) {
    const record = await memories.get(tenant, id);
    if (!record) return toolError(`no memory with id ${id}: search for it with memory_search`);
    return structuredResult({ ...record });
  },
});

export const memoryDeleteTool = defineTool({
  name: 'memory_delete',
  title: 'Delete a memory',
  description: "Deletes one memory by its id from the team's shared memory. This cannot be undone.",
  inputSchema: { id: MEMORY_ID.describe('Id of the memory to delete.') },
  outputSchema: { deleted: z.boolean().describe('True if the memory existed and was deleted.') },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async handler({ id }, { tenant, memories }) {
    return structuredResult({ deleted: await memories.delete(tenant, id) });
  },
});

/** The reference server's built-in tools. */
export const MEMORY_TOOLS = [memoryStoreTool, memorySearchTool, memoryGetTool, memoryDeleteTool];
