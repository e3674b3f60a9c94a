import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process';

describe('an MCP SDK client against `mcpenv serve` in the embedded mode', () => {
  let server: ServerProcess;
  let client: Client;

  beforeAll(async () => {
    server = await startServerProcess({ LOG_LEVEL: 'info' }, 60_000);
    client = new Client({ name: 'mcpenv-integration-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  test('binds to a random port on 127.0.0.1 and says it runs embedded with auth off', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const warning = server.logs.find((entry) => String(entry.msg).startsWith('embedded mode'));
    expect(warning?.msg).toContain('auth OFF, loopback only');
  });

  test('initializes and reports the server name, version and instructions', () => {
    expect(client.getServerVersion()).toEqual({
      name: 'mcpenv-reference-server',
      version: expect.any(String),
    });
    expect(client.getServerCapabilities()).toMatchObject({ tools: {}, resources: {} });
    expect(client.getInstructions()).toContain('memory_search');
  });

  test('lists the memory tools, every input field described', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual([
      'memory_store',
      'memory_search',
      'memory_get',
      'memory_delete',
    ]);
    for (const tool of tools) {
      for (const [field, schema] of Object.entries(tool.inputSchema.properties ?? {})) {
        expect({
          tool: tool.name,
          field,
          description: (schema as { description?: string }).description,
        }).toEqual({
          tool: tool.name,
          field,
          description: expect.stringMatching(/\w+/),
        });
      }
    }
  });

  test('stores, finds, gets and deletes a memory', async () => {
    const stored = await client.callTool({
      name: 'memory_store',
      arguments: { text: 'The staging database is rebuilt every Sunday night', tags: ['ops'] },
    });
    const { id } = stored.structuredContent as { id: string };
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const found = await client.callTool({ name: 'memory_search', arguments: { query: 'staging database' } });
    expect((found.structuredContent as { items: { id: string }[] }).items.map((item) => item.id)).toContain(
      id,
    );

    const got = await client.callTool({ name: 'memory_get', arguments: { id } });
    expect(got.structuredContent).toMatchObject({ id, tags: ['ops'] });

    const resource = await client.readResource({ uri: `memory://${id}` });
    expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ id });

    const deleted = await client.callTool({ name: 'memory_delete', arguments: { id } });
    expect(deleted.structuredContent).toEqual({ deleted: true });
    const gone = await client.callTool({ name: 'memory_get', arguments: { id } });
    expect(gone.isError).toBe(true);
  });

  test('reports invalid arguments as a tool error', async () => {
    const result = await client.callTool({ name: 'memory_store', arguments: { text: '' } });
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('text');
  });

  test('counts the tool calls in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/mcp_tool_executions_total\{tool_name="memory_store",status="success"\} [1-9]/);
  });

  test('logs JSON lines with a request id and never the tool arguments', () => {
    const requests = server.logs.filter((entry) => entry.msg === 'request');
    expect(requests.length).toBeGreaterThan(0);
    for (const entry of requests) expect(entry.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(server.logs)).not.toContain('rebuilt every Sunday');
  });

  test('drains and exits 0 on SIGTERM', async () => {
    await client.close();
    expect(await server.stop()).toBe(0);
    expect(server.logs.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['draining', 'stopped']));
  });
});
