import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type ServerProcess, startServerProcess } from '../helpers/server-process';

describe('an MCP SDK client against `mcpenv serve` over HTTP', () => {
  let server: ServerProcess;
  let client: Client;

  beforeAll(async () => {
    server = await startServerProcess({ LOG_LEVEL: 'info' });
    client = new Client({ name: 'mcpenv-integration-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`)));
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  test('binds to a random port on 127.0.0.1 when nothing is configured', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  test('initializes and reports the server name and version', () => {
    expect(client.getServerVersion()).toEqual({
      name: 'mcpenv-reference-server',
      version: expect.any(String),
    });
    expect(client.getServerCapabilities()?.tools).toBeDefined();
  });

  test('lists the echo tool with a described input schema', async () => {
    const { tools } = await client.listTools();
    const echo = tools.find((tool) => tool.name === 'echo');
    expect(echo?.inputSchema).toMatchObject({
      type: 'object',
      properties: { text: { type: 'string', description: expect.stringContaining('Text to send back') } },
      required: ['text'],
    });
  });

  test('calls the tool and gets its result', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hello, mcpenv' } });
    expect(result).toEqual({ content: [{ type: 'text', text: 'hello, mcpenv' }] });
  });

  test('reports invalid arguments as a tool error', async () => {
    const result = await client.callTool({ name: 'echo', arguments: { text: '' } });
    expect(result.isError).toBe(true);
  });

  test('counts the tool calls in /metrics', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(/mcp_tool_executions_total\{tool_name="echo",status="success"\} [1-9]/);
  });

  test('logs JSON lines with a request id and never the tool arguments', () => {
    const requests = server.logs.filter((entry) => entry.msg === 'request');
    expect(requests.length).toBeGreaterThan(0);
    for (const entry of requests) expect(entry.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(server.logs)).not.toContain('hello, mcpenv');
  });

  test('drains and exits 0 on SIGTERM', async () => {
    await client.close();
    expect(await server.stop()).toBe(0);
    expect(server.logs.map((entry) => entry.msg)).toEqual(expect.arrayContaining(['draining', 'stopped']));
  });
});
