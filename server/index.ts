/**
 * `@mcpenv/server`: the mcpenv reference MCP server as a library. Start it as it ships
 * (`startServer`), or build your own on it: register your tools next to (or instead of) the
 * memory tools and keep auth, rate limits, metrics, probes and graceful drain.
 */
export { createServer, type CreateServerOptions, type McpHttpServer, type ReadinessReport } from './app';
export { ApiKeyStore, type ApiKeyRecord } from './auth/api-keys';
export {
  ConfigError,
  type DatabaseConfig,
  parseDatabaseConfig,
  parseServerConfig,
  type ServerConfig,
} from './config';
export { createLogger } from './logger';
export { type RunningServer, type StartOptions, startServer } from './main';
export { LATEST_VERSION, migrate, type MigrationResult } from './store/migrations';
export { MEMORY_TOOLS } from './tools/memory';
export {
  defineTool,
  type Principal,
  structuredResult,
  type ToolContext,
  type ToolDefinition,
  toolError,
} from './tools/tool';
