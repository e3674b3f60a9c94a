import { renderJson, renderText } from '../../../server/probe/render';
import type { ProbeReport } from '../../../server/probe/run';
import { HEALTHY, UNAUTHORIZED } from './reports';

describe('the text report', () => {
  test('shows each step in milliseconds, what was negotiated, the certificate and the verdict', () => {
    expect(renderText(HEALTHY)).toEqual([
      'probe https://mcp.example.com/mcp',
      '  tls            12 ms  ok',
      '  handshake      34 ms  ok',
      '  tools/list      5 ms  ok',
      '  tools/call     20 ms  ok',
      '  total          72 ms',
      'protocol:    2026-07-28',
      'server:      mcpenv-reference-server 0.1.0',
      'tool:        memory_search',
      'certificate: expires 2027-01-01 03:54:28 UTC (29 days left)',
      'healthy',
    ]);
  });

  test('names the failing step and why, and leaves out what is unknown', () => {
    expect(renderText(UNAUTHORIZED)).toEqual([
      'probe http://127.0.0.1:3000/mcp',
      '  handshake       3 ms  FAILED: HTTP 401 Unauthorized, JSON-RPC error -32001: Unauthorized',
      '  total           4 ms',
      'failing at handshake: HTTP 401 Unauthorized, JSON-RPC error -32001: Unauthorized',
    ]);
  });

  test.each([
    [1, '1 day left'],
    [0, '0 days left'],
    [-1, 'expired 1 day ago'],
    [-12, 'expired 12 days ago'],
  ])('says %i days as "%s"', (daysLeft, words) => {
    const lines = renderText({ ...HEALTHY, tls: { notAfter: '2027-01-01T00:00:00.000Z', daysLeft } });
    expect(lines).toContain(`certificate: expires 2027-01-01 00:00:00 UTC (${words})`);
  });
});

describe('the JSON report', () => {
  test('has the stable keys in a stable order', () => {
    expect(renderJson(HEALTHY)).toBe(
      '{"url":"https://mcp.example.com/mcp","ok":true,"protocolVersion":"2026-07-28",' +
        '"server":{"name":"mcpenv-reference-server","version":"0.1.0"},"tool":"memory_search",' +
        '"steps":[{"step":"tls","ok":true,"seconds":0.012},{"step":"handshake","ok":true,"seconds":0.0344},' +
        '{"step":"tools/list","ok":true,"seconds":0.005},{"step":"tools/call","ok":true,"seconds":0.02},' +
        '{"step":"total","ok":true,"seconds":0.0716}],' +
        '"tls":{"notAfter":"2027-01-01T03:54:28.000Z","daysLeft":29},"failedStep":null}',
    );
  });

  test('keeps nulls for what is unknown, and the error of the failing step only', () => {
    expect(JSON.parse(renderJson(UNAUTHORIZED))).toEqual(UNAUTHORIZED);
    expect(renderJson(UNAUTHORIZED)).toContain('{"step":"total","ok":false,"seconds":0.004}');
  });

  test('is the same whatever order the report was built in', () => {
    const shuffled = Object.fromEntries(Object.entries(HEALTHY).reverse()) as unknown as ProbeReport;
    expect(renderJson(shuffled)).toBe(renderJson(HEALTHY));
  });
});
