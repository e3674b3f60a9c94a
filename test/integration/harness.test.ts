import * as net from 'node:net';
import * as os from 'node:os';
import Redis from 'ioredis';
import { Client } from 'pg';
import { type PostgresServer, startPostgres } from '../helpers/postgres';
import { type RedisServer, startRedis } from '../helpers/redis';

/** Connects with pg and runs `work`, closing the connection either way. */
async function withClient<T>(connectionString: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Resolves with the error code of a TCP connection attempt, or 'connected'. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(2_000, () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Addresses of this machine that are not loopback, where a server bound to 0.0.0.0 would answer. */
function otherAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && !address.internal && address.family === 'IPv4')
    .map((address) => (address as os.NetworkInterfaceInfo).address);
}

/** A client that fails at once instead of reconnecting or queueing commands. */
function redisClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    enableReadyCheck: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Errors also reach the rejected promises that the tests check; unhandled they would be logged.
  client.on('error', () => undefined);
  return client;
}

describe('a real PostgreSQL server started by the harness', () => {
  let postgres: PostgresServer;

  beforeAll(async () => {
    postgres = await startPostgres({ user: 'harness', database: 'harness_db' });
  }, 60_000);

  afterAll(async () => {
    await postgres?.destroy();
  });

  test('accepts the non-superuser role over TCP with its password', async () => {
    const row = await withClient(postgres.url, async (client) => {
      const result = await client.query(
        `SELECT current_user AS "user", current_database() AS database, rolsuper AS superuser,
                host(inet_server_addr()) AS address
           FROM pg_roles WHERE rolname = current_user`,
      );
      return result.rows[0];
    });
    expect(row).toEqual({ user: 'harness', database: 'harness_db', superuser: false, address: '127.0.0.1' });
  });

  test('gives the role a database it owns and can create tables in', async () => {
    await withClient(postgres.url, async (client) => {
      await client.query('CREATE TABLE owned_here (id int)');
      const owner = await client.query(
        'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()',
      );
      expect(owner.rows[0].owner).toBe('harness');
    });
  });

  test('accepts the superuser over TCP with its own password', async () => {
    const superuser = await withClient(postgres.superuserUrl, async (client) => {
      return (await client.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).rows[0]
        .rolsuper;
    });
    expect(superuser).toBe(true);
  });

  test('rejects a wrong password', async () => {
    const url = new URL(postgres.url);
    url.password = 'not-the-password';
    await expect(withClient(url.toString(), async () => undefined)).rejects.toThrow(
      /password authentication failed for user "harness"/,
    );
  });

  test('uses scram-sha-256 over TCP and trust only on the unix socket', async () => {
    const rules = await withClient(postgres.superuserUrl, async (client) => {
      const result = await client.query(
        'SELECT type, address, auth_method FROM pg_hba_file_rules ORDER BY line_number',
      );
      return result.rows;
    });
    expect(rules).toEqual([
      { type: 'local', address: null, auth_method: 'trust' },
      { type: 'host', address: '127.0.0.1', auth_method: 'scram-sha-256' },
    ]);
  });

  test('listens on 127.0.0.1 only', async () => {
    const listen = await withClient(postgres.superuserUrl, async (client) => {
      return (await client.query('SHOW listen_addresses')).rows[0].listen_addresses;
    });
    expect(listen).toBe('127.0.0.1');
    // All of 127/8 reaches this machine, so a server bound to every address would answer here.
    expect(await tryConnect('127.0.0.2', postgres.port)).toBe('ECONNREFUSED');
    expect(await tryConnect('::1', postgres.port)).not.toBe('connected');
    for (const address of otherAddresses()) {
      expect(await tryConnect(address, postgres.port)).not.toBe('connected');
    }
  });

  test('keeps committed data across stop() and start() on the same port', async () => {
    await withClient(postgres.url, async (client) => {
      await client.query('CREATE TABLE survivors (name text)');
      await client.query("INSERT INTO survivors VALUES ('kept')");
    });
    const port = postgres.port;

    await postgres.stop();
    await expect(withClient(postgres.url, async () => undefined)).rejects.toThrow(/ECONNREFUSED/);
    await postgres.start();

    expect(postgres.port).toBe(port);
    const rows = await withClient(postgres.url, async (client) => {
      return (await client.query('SELECT name FROM survivors')).rows;
    });
    expect(rows).toEqual([{ name: 'kept' }]);
  }, 60_000);

  test('comes back after restart()', async () => {
    await postgres.restart();
    const one = await withClient(
      postgres.url,
      async (client) => (await client.query('SELECT 1 AS one')).rows,
    );
    expect(one).toEqual([{ one: 1 }]);
  }, 60_000);

  test('rejects start() while the server is running', async () => {
    await expect(postgres.start()).rejects.toThrow(/already running/);
  });

  test('rejects the superuser name as the application role', async () => {
    await expect(startPostgres({ user: 'postgres' })).rejects.toThrow(/`user` must not be the superuser/);
  });
});

describe('a real Redis server started by the harness', () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis();
  }, 60_000);

  afterAll(async () => {
    await redis?.destroy();
  });

  test('answers PING, SET and GET on 127.0.0.1', async () => {
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    const client = redisClient(redis.url);
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
      expect(await client.set('greeting', 'hello')).toBe('OK');
      expect(await client.get('greeting')).toBe('hello');
    } finally {
      client.disconnect();
    }
  });

  test('listens on 127.0.0.1 only', async () => {
    expect(await tryConnect('127.0.0.2', redis.port)).toBe('ECONNREFUSED');
    expect(await tryConnect('::1', redis.port)).not.toBe('connected');
    for (const address of otherAddresses()) {
      expect(await tryConnect(address, redis.port)).not.toBe('connected');
    }
  });

  test('refuses connections after stop() and answers again on the same port after start()', async () => {
    const port = redis.port;
    await redis.stop();
    // A raw socket: a failed ioredis connect leaves a timer that holds jest open for seconds.
    expect(await tryConnect('127.0.0.1', port)).toBe('ECONNREFUSED');

    await redis.start();
    expect(redis.port).toBe(port);
    const client = redisClient(redis.url);
    try {
      await client.connect();
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  }, 60_000);
});

describe('a real Redis server with a password', () => {
  const password = 'p@ss word:/"\\';
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis({ password });
  }, 60_000);

  afterAll(async () => {
    await redis?.destroy();
  });

  test('puts the password, URL-encoded, in the URL', () => {
    expect(redis.url).toBe(`redis://:${encodeURIComponent(password)}@127.0.0.1:${redis.port}`);
  });

  test('rejects commands from a client without the password', async () => {
    const client = redisClient(`redis://127.0.0.1:${redis.port}`);
    try {
      await client.connect();
      await expect(client.get('anything')).rejects.toThrow(/NOAUTH/);
    } finally {
      client.disconnect();
    }
  });

  test('rejects a wrong password', async () => {
    const client = redisClient(`redis://127.0.0.1:${redis.port}`);
    try {
      await client.connect();
      await expect(client.auth('wrong')).rejects.toThrow(/WRONGPASS/);
    } finally {
      client.disconnect();
    }
  });

  test('accepts a client with the password', async () => {
    const client = redisClient(redis.url);
    try {
      await client.connect();
      expect(await client.set('secret', 'kept')).toBe('OK');
      expect(await client.get('secret')).toBe('kept');
    } finally {
      client.disconnect();
    }
  });

  test('rejects an empty password', async () => {
    await expect(startRedis({ password: '' })).rejects.toThrow(/`password` must not be empty/);
  });
});

describe('the harness without the programs it needs', () => {
  test('fails naming the Debian package when redis-server is not on the PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startRedis()).rejects.toThrow(
        /redis-server is not on the PATH: install the Debian package redis-server/,
      );
    } finally {
      process.env.PATH = path;
    }
  });
});
