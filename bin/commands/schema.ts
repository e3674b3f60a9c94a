import type { Command } from 'commander';
import { z } from 'zod';
import { McpEnvironmentSpecSchema } from '../../constructs/spec';
import { out } from '../output';

/** The JSON Schema of environment files, for editor completion (yaml-language-server and the like). */
export function environmentJsonSchema(): Record<string, unknown> {
  return {
    ...(z.toJSONSchema(McpEnvironmentSpecSchema, { io: 'input', unrepresentable: 'any' }) as Record<
      string,
      unknown
    >),
    title: 'mcpenv environment',
  };
}

export function registerSchema(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of environment files (for editor completion)')
    .action(() => {
      out.data(JSON.stringify(environmentJsonSchema(), null, 2));
    });
}
