import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as zlib from 'node:zlib';
import generated from 'otlp-proto-definitions/build/src/generated/root';

/**
 * A loopback OTLP/HTTP trace receiver, as a collector's `otlp` receiver answers: POST
 * `/v1/traces` with `application/x-protobuf` (gzip or not), decoded with the protobuf definitions
 * the OpenTelemetry project generates from opentelemetry-proto, answered with an
 * ExportTraceServiceResponse.
 */

/** A value of an attribute, as OTLP's AnyValue holds it (64-bit integers as strings). */
export type AttributeValue =
  string | boolean | number | AttributeValue[] | { readonly [key: string]: AttributeValue };

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** One span as received, ids in hex ('' for no parent), enums by name (`SPAN_KIND_SERVER`). */
export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly traceState: string;
  readonly name: string;
  readonly kind: string;
  readonly attributes: Attributes;
  readonly events: readonly { readonly name: string; readonly attributes: Attributes }[];
  readonly links: readonly {
    readonly traceId: string;
    readonly spanId: string;
    readonly traceState: string;
    readonly attributes: Attributes;
  }[];
  readonly status: { readonly code: string; readonly message: string };
  /** The attributes of the resource that exported it (`service.name` ...). */
  readonly resource: Attributes;
  readonly scope: { readonly name: string; readonly version: string };
}

export interface OtlpReceiver {
  /** Base URL, for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  /** Every span received so far, in order of arrival. */
  readonly spans: readonly ReceivedSpan[];
  /** Every export request: the decoded message (as protobufjs's `toObject` gives it) and its bytes. */
  readonly requests: readonly { readonly decoded: unknown; readonly bytes: Buffer }[];
  /** Export requests refused (not protobuf, undecodable), with why. */
  readonly refused: readonly string[];
  /** Spans received, kept or not. */
  spanCount(): number;
  /**
   * Resolves with the received spans once `done(spans)` is true; rejects after `timeoutMs`,
   * saying how many spans had arrived.
   */
  waitForSpans(done: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** The subset of the generated static module this receiver uses. */
interface MessageType {
  decode(bytes: Uint8Array): object;
  encode(message: object): { finish(): Uint8Array };
  toObject(message: object, options: Record<string, unknown>): unknown;
}
const collector = (
  generated as unknown as {
    opentelemetry: {
      proto: {
        collector: {
          trace: { v1: { ExportTraceServiceRequest: MessageType; ExportTraceServiceResponse: MessageType } };
        };
      };
    };
  }
).opentelemetry.proto.collector.trace.v1;

/** protobufjs's plain-object form of the OTLP messages (`toObject` with the options below). */
interface PlainAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  bytesValue?: string;
  arrayValue?: { values?: PlainAnyValue[] };
  kvlistValue?: { values?: PlainKeyValue[] };
}
interface PlainKeyValue {
  key: string;
  value?: PlainAnyValue;
}
interface PlainSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  traceState?: string;
  name?: string;
  kind?: string;
  attributes?: PlainKeyValue[];
  events?: { name?: string; attributes?: PlainKeyValue[] }[];
  links?: { traceId?: string; spanId?: string; traceState?: string; attributes?: PlainKeyValue[] }[];
  status?: { code?: string; message?: string };
}
interface PlainRequest {
  resourceSpans?: {
    resource?: { attributes?: PlainKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: PlainSpan[] }[];
  }[];
}

const TO_OBJECT = { longs: String, enums: String, bytes: String, defaults: false };

function valueOf(value: PlainAnyValue | undefined): AttributeValue {
  if (value === undefined) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return value.intValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return value.bytesValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(valueOf);
  if (value.kvlistValue !== undefined) return attributesOf(value.kvlistValue.values);
  return '';
}

function attributesOf(list: PlainKeyValue[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, valueOf(value)]));
}

/** Ids arrive as base64 bytes; traces are read in hex. */
const hex = (base64: string | undefined) => Buffer.from(base64 ?? '', 'base64').toString('hex');

function spansOf(request: PlainRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap(({ resource, scopeSpans }) =>
    (scopeSpans ?? []).flatMap(({ scope, spans }) =>
      (spans ?? []).map((span) => ({
        traceId: hex(span.traceId),
        spanId: hex(span.spanId),
        parentSpanId: hex(span.parentSpanId),
        traceState: span.traceState ?? '',
        name: span.name ?? '',
        kind: span.kind ?? 'SPAN_KIND_UNSPECIFIED',
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((event) => ({
          name: event.name ?? '',
          attributes: attributesOf(event.attributes),
        })),
        links: (span.links ?? []).map((link) => ({
          traceId: hex(link.traceId),
          spanId: hex(link.spanId),
          traceState: link.traceState ?? '',
          attributes: attributesOf(link.attributes),
        })),
        status: { code: span.status?.code ?? 'STATUS_CODE_UNSET', message: span.status?.message ?? '' },
        resource: attributesOf(resource?.attributes),
        scope: { name: scope?.name ?? '', version: scope?.version ?? '' },
      })),
    ),
  );
}

/** Every span below `root` in its trace (its children, their children, ...). */
export function descendantsOf(root: ReceivedSpan, spans: readonly ReceivedSpan[]): ReceivedSpan[] {
  const below: ReceivedSpan[] = [];
  const parents = new Set([root.spanId]);
  for (let grew = true; grew;) {
    grew = false;
    for (const span of spans) {
      if (span.traceId === root.traceId && parents.has(span.parentSpanId) && !parents.has(span.spanId)) {
        parents.add(span.spanId);
        below.push(span);
        grew = true;
      }
    }
  }
  return below;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * Starts a receiver on a free loopback port. With `keep: false` it only decodes and counts (a
 * load test's receiver, which must not grow or cost the load generator much).
 */
export async function startOtlpReceiver(options: { keep?: boolean } = {}): Promise<OtlpReceiver> {
  const keep = options.keep ?? true;
  let count = 0;
  const spans: ReceivedSpan[] = [];
  const requests: { decoded: unknown; bytes: Buffer }[] = [];
  const refused: string[] = [];
  const waiters = new Set<() => void>();
  const response = Buffer.from(collector.ExportTraceServiceResponse.encode({}).finish());

  const server = http.createServer((req, res) => {
    const refuse = (status: number, why: string) => {
      refused.push(why);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(why);
    };
    if (req.method !== 'POST' || req.url !== '/v1/traces') return refuse(404, `${req.method} ${req.url}`);
    if (req.headers['content-type'] !== 'application/x-protobuf') {
      return refuse(415, `content-type ${req.headers['content-type']}`);
    }
    void readBody(req).then((raw) => {
      let bytes: Buffer;
      let message: PlainRequest;
      try {
        bytes = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
        message = collector.ExportTraceServiceRequest.decode(bytes) as PlainRequest;
      } catch (error) {
        return refuse(400, `undecodable: ${(error as Error).message}`);
      }
      for (const { scopeSpans } of message.resourceSpans ?? []) {
        for (const scope of scopeSpans ?? []) count += scope.spans?.length ?? 0;
      }
      if (keep) {
        const decoded = collector.ExportTraceServiceRequest.toObject(message, TO_OBJECT) as PlainRequest;
        requests.push({ decoded, bytes });
        spans.push(...spansOf(decoded));
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': response.length });
      res.end(response);
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    refused,
    spanCount: () => count,
    waitForSpans(done, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!done(spans)) return;
          finish();
          resolve([...spans]);
        };
        const timer = setTimeout(() => {
          finish();
          reject(
            new Error(`the spans awaited did not arrive within ${timeoutMs} ms (${spans.length} received)`),
          );
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
