import type { ProbeReport } from '../../../server/probe/run';

/** A run that passed every step over https. */
export const HEALTHY: ProbeReport = {
  url: 'https://mcp.example.com/mcp',
  ok: true,
  protocolVersion: '2026-07-28',
  server: { name: 'mcpenv-reference-server', version: '0.1.0' },
  tool: 'memory_search',
  steps: [
    { step: 'tls', ok: true, seconds: 0.012 },
    { step: 'handshake', ok: true, seconds: 0.0344 },
    { step: 'tools/list', ok: true, seconds: 0.005 },
    { step: 'tools/call', ok: true, seconds: 0.02 },
    { step: 'total', ok: true, seconds: 0.0716 },
  ],
  tls: { notAfter: '2027-01-01T03:54:28.000Z', daysLeft: 29 },
  failedStep: null,
};

/** A run over http refused at the handshake. */
export const UNAUTHORIZED: ProbeReport = {
  url: 'http://127.0.0.1:3000/mcp',
  ok: false,
  protocolVersion: null,
  server: null,
  tool: null,
  steps: [
    {
      step: 'handshake',
      ok: false,
      seconds: 0.003,
      error: 'HTTP 401 Unauthorized, JSON-RPC error -32001: Unauthorized',
    },
    { step: 'total', ok: false, seconds: 0.004 },
  ],
  tls: null,
  failedStep: 'handshake',
};
