import type { Command } from 'commander';
import pino from 'pino';
import { parseDatabaseConfig } from '../config';
import { out } from './output';
import { withDatabase } from './database';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description('Bring the database schema up to date (DATABASE_URL), then exit; safe to run concurrently')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (flags: { json?: boolean }) => {
      const config = parseDatabaseConfig(process.env);
      const { LATEST_VERSION, migrate } = await import('../store/migrations.js');
      const result = await withDatabase(config, (db) =>
        migrate(db, pino({ level: config.logLevel }, process.stderr)),
      );
      if (flags.json) out.data(JSON.stringify({ ...result, latest: LATEST_VERSION }));
      else out.progress(`schema at version ${result.version}; applied ${result.applied.length} migration(s)`);
    });
}
