import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolStatus } from '@mcpenv/contract';
import { ToolInputError } from '../store/memory-service';

/**
 * Whose fault a tool call's outcome is, decided here and nowhere else. The caller's fault
 * (`client_error`) is what a tool reports as a tool error, returned with `toolError` or thrown as
 * a `ToolInputError` (invalid arguments, an unknown id, a damaged cursor): the model can act on
 * it, and no operator needs to. Anything else a tool throws is the server's fault
 * (`server_error`): Postgres or Redis failing, a timeout, a bug. Only those page.
 */
export function statusOfResult(result: CallToolResult): ToolStatus {
  return result.isError ? 'client_error' : 'success';
}

/** The status of a call whose tool threw `error`; see `statusOfResult`. */
export function statusOfThrown(error: unknown): ToolStatus {
  return error instanceof ToolInputError ? 'client_error' : 'server_error';
}
