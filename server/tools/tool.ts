import type { CallToolResult } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { MemoryService } from '../store/memory-service';

/** Who is calling. Tools must scope every read and write to `tenant`. */
export interface Principal {
  /** Stable, non-secret identifier: `key:<id>`, `oauth:<subject>` or `local`. */
  readonly id: string;
  readonly tenant: string;
  readonly scopes: readonly string[];
  readonly kind: 'api-key' | 'oauth' | 'local';
}

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  readonly principal: Principal;
  /** Shorthand for `principal.tenant`. */
  readonly tenant: string;
  readonly requestId: string;
  /** Aborted when the client cancels the call or goes away. */
  readonly signal: AbortSignal;
  readonly memories: MemoryService;
}

/**
 * A tool the server offers. Input fields are zod schemas, each with `.describe()`, so clients
 * see a documented JSON Schema; the schema is converted once, when the server is created.
 */
export interface ToolDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly inputSchema: Shape;
  /** Shape of `structuredContent` in results, when the tool returns structured data. */
  readonly outputSchema?: z.ZodRawShape;
  readonly annotations?: {
    readonly readOnlyHint?: boolean;
    readonly destructiveHint?: boolean;
    readonly idempotentHint?: boolean;
    readonly openWorldHint?: boolean;
  };
  /**
   * Runs the tool. Return `toolError(...)` for the caller's mistakes (an unknown id, a value the
   * schema cannot express): counted as `client_error`, the model reads the message. Throw for
   * what the caller cannot fix (a dependency failing, a timeout): counted as `server_error`, which
   * the tool-error alert watches; the caller gets a tool error naming only the request id.
   */
  handler(args: z.output<z.ZodObject<Shape>>, context: ToolContext): Promise<CallToolResult>;
}

/** Keeps the handler's argument type tied to the schema. */
export function defineTool<Shape extends z.ZodRawShape>(tool: ToolDefinition<Shape>): ToolDefinition<Shape> {
  return tool;
}

/** A result carrying both structured content and its JSON text, for clients of either kind. */
export function structuredResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value) }], structuredContent: value };
}

/** A tool-level error the model can read and act on: the caller's fault (`client_error`). */
export function toolError(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}
