import type { Command } from 'commander';
import { parseDatabaseConfig } from '../config';
import { invalidFlag, out } from './output';
import { withDatabase } from './database';

const TENANT = /^[\w.:@-]{1,200}$/;
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const KEY_ID = /^[a-z0-9]{16}$/;

async function apiKeys() {
  const { ApiKeyStore } = await import('../auth/api-keys.js');
  return ApiKeyStore;
}

export function registerApiKey(program: Command): void {
  const apikey = program
    .command('apikey')
    .description('Manage the API keys clients use as bearer tokens (DATABASE_URL)');

  apikey
    .command('create')
    .description('Create a key for a tenant; prints the key once on stdout (only its hash is stored)')
    .requiredOption('-t, --tenant <tenant>', 'tenant whose memories the key reaches')
    .option('-n, --name <name>', 'what the key is for, e.g. the client or team', 'unnamed')
    .option('-s, --scope <scope...>', 'scopes granted (the server requires AUTH_REQUIRED_SCOPE)', ['mcp'])
    .option('--json', 'print the key and its record as JSON')
    .action(async (flags: { tenant: string; name: string; scope: string[]; json?: boolean }) => {
      if (!TENANT.test(flags.tenant)) {
        throw invalidFlag('--tenant', 'be 1 to 200 letters, digits or . _ : @ -', flags.tenant);
      }
      const bad = flags.scope.find((scope) => !SCOPE.test(scope));
      if (bad !== undefined) throw invalidFlag('--scope', 'be OAuth scope tokens (no spaces or quotes)', bad);
      if (flags.name.length === 0 || flags.name.length > 200) {
        throw invalidFlag('--name', 'be 1 to 200 characters', flags.name);
      }
      const config = parseDatabaseConfig(process.env);
      const ApiKeyStore = await apiKeys();
      const created = await withDatabase(config, (db) =>
        new ApiKeyStore(db).create({ tenant: flags.tenant, name: flags.name, scopes: flags.scope }),
      );
      if (flags.json) {
        out.data(JSON.stringify({ key: created.key, ...created.record }));
      } else {
        out.data(created.key);
        out.progress(
          `created key ${created.record.id} for tenant ${created.record.tenant} with scopes ` +
            `${created.record.scopes.join(' ')}; store it now, it cannot be shown again`,
        );
      }
    });

  apikey
    .command('list')
    .description('List keys (ids, tenants, names, scopes; never secrets)')
    .option('-t, --tenant <tenant>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (flags: { tenant?: string; json?: boolean }) => {
      const config = parseDatabaseConfig(process.env);
      const ApiKeyStore = await apiKeys();
      const keys = await withDatabase(config, (db) => new ApiKeyStore(db).list(flags.tenant));
      if (flags.json) {
        out.data(JSON.stringify(keys));
        return;
      }
      for (const key of keys) {
        const state = key.revokedAt ? `revoked ${key.revokedAt}` : 'active';
        out.data(
          `${key.id}  ${key.tenant}  ${key.name}  [${key.scopes.join(' ')}]  created ${key.createdAt}  ${state}`,
        );
      }
    });

  apikey
    .command('revoke')
    .description('Revoke a key by id; servers stop accepting it within 30 seconds')
    .argument('<id>', 'key id (the part after mcpk_)')
    .action(async (id: string) => {
      if (!KEY_ID.test(id))
        throw invalidFlag('<id>', 'be a 16-character key id as `apikey list` shows it', id);
      const config = parseDatabaseConfig(process.env);
      const ApiKeyStore = await apiKeys();
      const revoked = await withDatabase(config, (db) => new ApiKeyStore(db).revoke(id));
      if (!revoked) throw invalidFlag('<id>', 'name an active key', id);
      out.progress(`revoked key ${id}`);
    });
}
