import type { Command } from 'commander';
import pino from 'pino';
import { ConfigError, parseServerConfig } from '../../server/config';
import { out } from '../output';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Bring the database schema up to date (DATABASE_URL), then exit; safe to run concurrently')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags: { json?: boolean }) => {
      const config = parseServerConfig(process.env);
      if (!config.databaseUrl) {
        throw new ConfigError('DATABASE_URL must be set for migrate (the embedded mode migrates on start)');
      }
      const { LATEST_VERSION, migrate } = await import('../../server/store/migrations.js');
      const { PostgresPool } = await import('../../server/store/sql.js');
      const logger = pino({ level: config.logLevel }, process.stderr);
      const db = new PostgresPool({
        url: config.databaseUrl,
        max: 1,
        connectTimeoutMs: config.pg.connectTimeoutMs,
        statementTimeoutMs: config.pg.statementTimeoutMs,
        idleTimeoutMs: config.pg.idleTimeoutMs,
        logger,
      });
      try {
        const result = await migrate(db, logger);
        if (flags.json) out.data(JSON.stringify({ ...result, latest: LATEST_VERSION }));
        else
          out.progress(`schema at version ${result.version}; applied ${result.applied.length} migration(s)`);
      } finally {
        await db.close();
      }
    });
}
