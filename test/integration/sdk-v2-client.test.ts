import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { modernRequest } from '../helpers/listen-stream';
import { type Backends, type ReferenceServer, startBackends } from '../helpers/reference-server';

/**
 * Both SDK generations as clients of one server, on real Postgres and Redis with API keys: the
 * v2 client pinned to 2026-07-28 (stateless, per-request `_meta`), the v2 client on its default
 * 2025 handshake, and the v1 client. Each round-trips every memory tool and the resource
 * template.
 */

let backends: Backends;
let server: ReferenceServer;

beforeAll(async () => {
  backends = await startBackends({ tenants: ['alpha'] });
  server = await backends.startServer();
}, 120_000);

afterAll(() => backends?.destroy());

/** The calls a client makes; every SDK client has this shape. */
interface McpClient {
  callTool(request: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  listResourceTemplates(): Promise<{ resourceTemplates: { uriTemplate: string }[] }>;
  listResources(): Promise<{ resources: { uri: string }[] }>;
  readResource(request: {
    uri: string;
  }): Promise<{ contents: { uri: string; mimeType?: string; text?: string }[] }>;
  close(): Promise<void>;
}

const headers = () => ({ authorization: `Bearer ${backends.keys[0]}` });

const clients: [string, string, () => Promise<McpClient>][] = [
  [
    'SDK v2 client, 2026-07-28',
    '2026-07-28',
    async () => {
      const client = new Client(
        { name: 'mcpenv-test-v2', version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: headers() },
        }),
      );
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      return client as unknown as McpClient;
    },
  ],
  [
    'SDK v2 client, 2025 handshake',
    '2025-11-25',
    async () => {
      const client = new Client({ name: 'mcpenv-test-v2', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: headers() },
        }),
      );
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      return client as unknown as McpClient;
    },
  ],
  [
    'SDK v1 client',
    '2025-11-25',
    async () => {
      const client = new V1Client({ name: 'mcpenv-test-v1', version: '1.0.0' });
      await client.connect(
        new V1Transport(new URL(`${server.url}/mcp`), { requestInit: { headers: headers() } }),
      );
      return client as unknown as McpClient;
    },
  ],
];

describe.each(clients)('%s', (label, _version, connect) => {
  let client: McpClient;

  beforeAll(async () => {
    client = await connect();
  });

  afterAll(() => client?.close());

  test('round-trips every memory tool', async () => {
    const text = `Stored by the ${label}`;
    const stored = (await client.callTool({
      name: 'memory_store',
      arguments: { text, tags: ['sdk'], metadata: { client: label } },
    })) as { structuredContent: { id: string } };
    const { id } = stored.structuredContent;
    const found = (await client.callTool({
      name: 'memory_search',
      arguments: { query: label, tags: ['sdk'] },
    })) as {
      structuredContent: { items: { id: string }[] };
    };
    expect(found.structuredContent.items.map((item) => item.id)).toContain(id);
    const got = (await client.callTool({ name: 'memory_get', arguments: { id } })) as {
      structuredContent: unknown;
    };
    expect(got.structuredContent).toMatchObject({ id, text, tags: ['sdk'], metadata: { client: label } });
    const invalid = (await client.callTool({ name: 'memory_get', arguments: { id: 'nope' } })) as {
      isError?: boolean;
    };
    expect(invalid.isError).toBe(true);
    const deleted = (await client.callTool({ name: 'memory_delete', arguments: { id } })) as {
      structuredContent: unknown;
    };
    expect(deleted.structuredContent).toEqual({ deleted: true });
    const gone = (await client.callTool({ name: 'memory_get', arguments: { id } })) as { isError?: boolean };
    expect(gone.isError).toBe(true);
  });

  test('lists the template and reads a memory through it', async () => {
    const templates = await client.listResourceTemplates();
    expect(templates.resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: 'memory://{id}' })]);
    const stored = (await client.callTool({
      name: 'memory_store',
      arguments: { text: `Resource of the ${label}` },
    })) as {
      structuredContent: { id: string };
    };
    const uri = `memory://${stored.structuredContent.id}`;
    const listed = await client.listResources();
    expect(listed.resources.map((resource) => resource.uri)).toContain(uri);
    const read = await client.readResource({ uri });
    expect(read.contents[0]).toMatchObject({ uri, mimeType: 'application/json' });
    expect(JSON.parse(read.contents[0]?.text ?? '{}')).toMatchObject({ text: `Resource of the ${label}` });
  });
});

describe('auth, limits and metrics are the same for 2026-07-28', () => {
  test('a modern request without a token gets the 401 challenge with the resource metadata', async () => {
    const { headers, body } = modernRequest('tools/list', {});
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(
      'resource_metadata="https://mcp.test.example/.well-known/oauth-protected-resource/mcp"',
    );
  });

  test('modern calls carry the rate-limit headers and are counted under their protocol version', async () => {
    const { headers, body } = modernRequest('tools/list', {}, { token: backends.keys[0] as string });
    const res = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('ratelimit-policy') ?? res.headers.get('ratelimit')).toBeTruthy();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(
      /mcp_requests_total\{method="tools\/list",status="200",endpoint="\/mcp",protocol_version="2026-07-28"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /mcp_requests_total\{method="tools\/call",status="200",endpoint="\/mcp",protocol_version="2025-11-25"\} [1-9]/,
    );
  });
});
