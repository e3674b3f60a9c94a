/**
 * One probe run: what a user's MCP client does, step by step and timed, against the public URL.
 * `tls` (https only), `handshake` (server/discover or initialize), `tools/list`, and `tools/call`
 * of one read-only tool. A step that fails ends the run; the report names it and why.
 */
import { Client, StreamableHTTPClientTransport, type Tool } from '@modelcontextprotocol/client';
import { PROTOCOL_GENERATIONS, type ProbeStep } from '@mcpenv/contract';
import { argumentsFor } from './arguments';
import { describeError, ProbeTimeoutError } from './errors';
import type { ProbeOptions, ProtocolChoice } from './options';
import { checkTls } from './tls';

export interface StepResult {
  readonly step: ProbeStep;
  readonly ok: boolean;
  readonly seconds: number;
  readonly error?: string;
}

/** A run's outcome; also the `--json` output, so its shape is a public contract. */
export interface ProbeReport {
  readonly url: string;
  readonly ok: boolean;
  readonly protocolVersion: string | null;
  readonly server: { readonly name: string; readonly version: string } | null;
  /** The tool called (or chosen, when the call failed). */
  readonly tool: string | null;
  /** The steps that ran, in order, then `total`. */
  readonly steps: readonly StepResult[];
  /** The certificate the public URL presented; null over http or when no TLS handshake completed. */
  readonly tls: { readonly notAfter: string; readonly daysLeft: number } | null;
  readonly failedStep: ProbeStep | null;
}

const DAY_MS = 86_400_000;

/** Verification codes that mean "issuer unknown", which trusting its CA fixes. */
const UNKNOWN_ISSUER = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
]);

/** What to do about a certificate that failed verification, when there is a usual fix. */
function verificationHint(code: string, url: URL): string {
  if (UNKNOWN_ISSUER.has(code)) return ' (trust its CA with --ca-file or NODE_EXTRA_CA_CERTS)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return ` (the certificate does not name ${url.hostname})`;
  return '';
}

function negotiation(protocol: ProtocolChoice) {
  if (protocol === 'modern') return { mode: { pin: PROTOCOL_GENERATIONS.modern[0] } };
  return { mode: protocol };
}

/** The tool to call: the one named, or the first listed as read-only. Only read-only tools: the probe repeats. */
function chooseTool(tools: readonly Tool[], wanted: string | undefined): Tool {
  if (wanted === undefined) {
    const tool = tools.find((candidate) => candidate.annotations?.readOnlyHint === true);
    if (!tool) {
      throw new Error(
        'no listed tool is marked read-only (annotations.readOnlyHint: true); name one with --tool',
      );
    }
    return tool;
  }
  const tool = tools.find((candidate) => candidate.name === wanted);
  if (!tool) throw new Error(`the server lists no tool named ${JSON.stringify(wanted)} (--tool)`);
  if (tool.annotations?.readOnlyHint !== true) {
    throw new Error(
      `tool ${JSON.stringify(wanted)} is not marked read-only (annotations.readOnlyHint: true); ` +
        'the probe repeats its call, so it calls read-only tools only',
    );
  }
  return tool;
}

/** `work`, or its rejection with the abort reason as soon as `signal` aborts. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', abort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** Thrown once a failed step is recorded, to end the run. */
class StepFailed extends Error {}

const secondsSince = (start: number) => Math.round(performance.now() - start) / 1000;

/**
 * Runs the steps against `options.url` within `options.timeoutSeconds`; `signal` ends the run
 * early (the step in progress fails with its reason). Never rejects for a failing server: the
 * report says what failed. The API key goes only into the Authorization header.
 */
export async function runProbe(
  options: ProbeOptions,
  context: { readonly clientVersion: string; readonly signal?: AbortSignal },
): Promise<ProbeReport> {
  const started = performance.now();
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new ProbeTimeoutError(options.timeoutSeconds)),
    options.timeoutSeconds * 1000,
  );
  const signal = context.signal ? AbortSignal.any([context.signal, deadline.signal]) : deadline.signal;
  const requestOptions = { signal, timeout: options.timeoutSeconds * 1000 };
  // Error texts quote what servers and libraries said; none should hold the key, and none may.
  const redact = (text: string) => (options.apiKey ? text.split(options.apiKey).join('[redacted]') : text);

  const steps: StepResult[] = [];
  let failedStep: ProbeStep | null = null;
  let tls: ProbeReport['tls'] = null;
  let tool: string | null = null;
  let protocolVersion: string | null = null;
  let server: ProbeReport['server'] = null;
  const step = async <T>(name: ProbeStep, work: () => Promise<T>): Promise<T> => {
    const begun = performance.now();
    try {
      const value = await untilAborted(work(), signal);
      steps.push({ step: name, ok: true, seconds: secondsSince(begun) });
      return value;
    } catch (error) {
      steps.push({
        step: name,
        ok: false,
        seconds: secondsSince(begun),
        error: redact(describeError(error)),
      });
      failedStep = name;
      throw new StepFailed();
    }
  };

  const client = new Client(
    { name: 'mcpenv-probe', version: context.clientVersion },
    { versionNegotiation: negotiation(options.protocol) },
  );
  const headers: Record<string, string> = { 'user-agent': `mcpenv-probe/${context.clientVersion}` };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  try {
    if (options.url.protocol === 'https:') {
      await step('tls', async () => {
        const outcome = await checkTls(options.url, signal);
        tls = {
          notAfter: outcome.notAfter.toISOString(),
          daysLeft: Math.floor((outcome.notAfter.getTime() - Date.now()) / DAY_MS),
        };
        if (outcome.verificationError !== undefined) {
          throw new Error(
            `certificate verification failed: ${outcome.verificationError}${verificationHint(outcome.verificationError, options.url)}`,
          );
        }
      });
    }
    await step('handshake', async () => {
      await client.connect(
        new StreamableHTTPClientTransport(options.url, { requestInit: { headers } }),
        requestOptions,
      );
      protocolVersion = client.getNegotiatedProtocolVersion() ?? null;
      const info = client.getServerVersion();
      server = info ? { name: info.name, version: info.version } : null;
    });
    const { tools } = await step('tools/list', () => client.listTools(undefined, requestOptions));
    await step('tools/call', async () => {
      const chosen = chooseTool(tools, options.tool);
      tool = chosen.name;
      const result = await client.callTool(
        { name: chosen.name, arguments: { ...(options.toolArguments ?? argumentsFor(chosen.inputSchema)) } },
        requestOptions,
      );
      if (result.isError) {
        const text = result.content.find((block) => block.type === 'text')?.text ?? '';
        throw new Error(`the tool answered with an error (isError): ${text.slice(0, 300)}`);
      }
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) throw error;
  } finally {
    clearTimeout(timer);
    await client.close().catch(() => undefined);
  }

  const ok = failedStep === null;
  steps.push({ step: 'total', ok, seconds: secondsSince(started) });
  return {
    url: options.url.href,
    ok,
    protocolVersion,
    server,
    tool,
    steps,
    tls,
    failedStep,
  };
}
