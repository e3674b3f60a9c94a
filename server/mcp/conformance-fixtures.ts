import {
  CLIENT_CAPABILITIES_META_KEY,
  type CallToolResult,
  type ClientCapabilities,
  completable,
  createRequestStateCodec,
  fromJsonSchema,
  type GetPromptResult,
  inputRequired,
  type InputRequest,
  type InputRequests,
  inputResponse,
  type JsonSchemaType,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type RequestStateCodec,
  type ServerNotifier,
  type McpServerOptions,
  ResourceTemplate,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { ServerExtension } from './handler';

/**
 * The fixtures the official MCP conformance suite (`@modelcontextprotocol/conformance`) expects
 * of a server: tools, resources, a resource template, prompts and completions with the exact
 * names, arguments and contents its server scenarios check, for both the 2026-07-28 revision
 * (`--requirements 2026-07-28`) and the 2025 revisions (`--spec-version 2025-11-25`). They exist
 * only so the suite can measure the serving stack (transport, envelope, errors, caching,
 * multi-round-trip results); `mcpenv serve --conformance-fixtures` mounts them instead of the
 * memory tools. Every value is fixed, so two runs see the same bytes.
 */

export interface ConformanceFixtureOptions {
  /** The era the instance serves: the factory's `ctx.era`. */
  readonly era: 'legacy' | 'modern';
  /**
   * HMAC key (at least 32 bytes) sealing the multi-round-trip `requestState` the fixtures mint.
   * Every replica that may receive a retried request needs the same key. Pass the same key to
   * {@link conformanceFixtureServerOptions}.
   */
  readonly requestStateKey: string | Uint8Array;
  /**
   * Publishes change events on the hosting handler's bus: pass `createMcpHandler(...).notify`
   * (or a facade over a cross-replica bus). The diagnostic tools `test_trigger_tool_change` and
   * `test_trigger_prompt_change` call it, so 2026-07-28 `subscriptions/listen` streams see
   * `list_changed`; a 2025 `resources/subscribe` publishes `resourceUpdated` for its URI.
   */
  readonly notify: ServerNotifier;
}

/** A 1x1 red PNG. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';
/** A WAV header with two bytes of silence (8 kHz, mono, 16 bit). */
const WAV_BASE64 = 'UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAIA+AAACABAAZGF0YQIAAAAAAA==';

const WATCHED_RESOURCE = 'test://watched-resource';

/** The JSON Schema 2020-12 document the json-schema-2020-12 scenario expects verbatim in tools/list. */
const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
} as const;

/** SEP-2243: clients mirror `region` into the `Mcp-Param-Region` header. */
const CUSTOM_HEADER_SCHEMA: JsonSchemaType = {
  type: 'object',
  properties: {
    region: { type: 'string', description: 'A region name.', ['x-mcp-header' as string]: 'Region' },
  },
  required: ['region'],
};

const COMPLETION_WORDS = ['paris', 'park', 'party', 'pasta', 'peach', 'world', 'hello'];

/** The requested schema of the fixtures that elicit a name. */
function nameSchema(): { type: 'object'; properties: { name: { type: 'string' } }; required: string[] } {
  return { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
}

function text(value: string): CallToolResult {
  return { content: [{ type: 'text', text: value }] };
}

function delay(milliseconds: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, milliseconds);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

function describeElicitation(result: { action: string; content?: unknown }): string {
  return `action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
}

function askName(message: string): InputRequest {
  return inputRequired.elicit({ message, requestedSchema: nameSchema() });
}

/** The elicited name of a retried round, when the client accepted with a string `name`. */
function elicitedName(ctx: ServerContext, key: string): string | undefined {
  const view = inputResponse(ctx.mcpReq.inputResponses, key);
  if (view.kind !== 'elicit' || view.action !== 'accept') return undefined;
  const name = view.content?.name;
  return typeof name === 'string' ? name : undefined;
}

interface FlowState {
  readonly tool: string;
  readonly round: number;
}

function requestStateCodec(key: string | Uint8Array): RequestStateCodec<FlowState> {
  return createRequestStateCodec<FlowState>({ key, ttlSeconds: 600 });
}

/**
 * Options for the `McpServer` the fixtures are registered on: the `requestState` integrity hook,
 * so an altered state is refused with the SDK's JSON-RPC `-32602` before any handler runs (a
 * handler can only answer with a tool error).
 */
export function conformanceFixtureServerOptions(
  options: Pick<ConformanceFixtureOptions, 'requestStateKey'>,
): McpServerOptions {
  const codec = requestStateCodec(options.requestStateKey);
  return { requestState: { verify: (state, ctx) => codec.verify(state, ctx) } };
}

/**
 * The verified state of a retried round of `tool`. With the hook of
 * {@link conformanceFixtureServerOptions} the SDK has decoded it already; without, it is
 * verified here.
 */
async function flowState(
  codec: RequestStateCodec<FlowState>,
  ctx: ServerContext,
  tool: string,
): Promise<FlowState | undefined> {
  const state = ctx.mcpReq.requestState<unknown>();
  const decoded = typeof state === 'string' ? await codec.verify(state, ctx) : state;
  if (decoded === undefined) return undefined;
  if ((decoded as FlowState).tool !== tool) {
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'requestState belongs to another request');
  }
  return decoded as FlowState;
}

/**
 * Registers every fixture on `server`. Call it from the `createMcpHandler` factory before the
 * instance is connected (it declares the capabilities it needs).
 */
export function registerConformanceFixtures(server: McpServer, options: ConformanceFixtureOptions): void {
  const codec = requestStateCodec(options.requestStateKey);
  server.server.registerCapabilities({
    tools: { listChanged: true },
    resources: { listChanged: true, ...(options.era === 'legacy' ? { subscribe: true } : {}) },
    prompts: { listChanged: true },
    completions: {},
    ...(options.era === 'legacy' ? { logging: {} } : {}),
  });
  registerContentTools(server);
  registerStreamingTools(server);
  registerDiagnosticTools(server, options.notify);
  registerPushInputTools(server);
  registerInputRequiredTools(server, codec);
  registerResources(server, options);
  registerPrompts(server);
}

function registerContentTools(server: McpServer): void {
  server.registerTool(
    'test_simple_text',
    { description: 'Returns one text block.', inputSchema: z.object({}) },
    () => text('This is a simple text response for testing.'),
  );
  server.registerTool(
    'test_image_content',
    { description: 'Returns one PNG image block.', inputSchema: z.object({}) },
    (): CallToolResult => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }),
  );
  server.registerTool(
    'test_audio_content',
    { description: 'Returns one WAV audio block.', inputSchema: z.object({}) },
    (): CallToolResult => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),
  );
  server.registerTool(
    'test_embedded_resource',
    { description: 'Returns one embedded text resource.', inputSchema: z.object({}) },
    (): CallToolResult => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_multiple_content_types',
    { description: 'Returns a text, an image and an embedded resource block.', inputSchema: z.object({}) },
    (): CallToolResult => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  );
  server.registerTool(
    'test_error_handling',
    { description: 'Always fails, as a tool-level error.', inputSchema: z.object({}) },
    (): CallToolResult => ({
      isError: true,
      content: [{ type: 'text', text: 'This tool intentionally returns an error for testing' }],
    }),
  );
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: fromJsonSchema<Record<string, unknown>>(JSON_SCHEMA_2020_12),
    },
    (args) => text(`JSON Schema 2020-12 tool called with: ${JSON.stringify(args)}`),
  );
}

function registerStreamingTools(server: McpServer): void {
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log messages while it runs.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const messages = ['Tool execution started', 'Tool processing data', 'Tool execution completed'];
      for (const [index, message] of messages.entries()) {
        if (index > 0) await delay(50, ctx.mcpReq.signal);
        await ctx.mcpReq.log('info', message, 'conformance-fixtures');
      }
      return text('Tool with logging executed successfully');
    },
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100 while it runs.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const progressToken = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress > 0) await delay(50, ctx.mcpReq.signal);
        if (progressToken !== undefined) {
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100, message: `Completed ${progress} of 100` },
          });
        }
      }
      return text('Tool with progress executed successfully');
    },
  );
}

/** Tools the 2026-07-28 server-stateless and SEP-2243 scenarios probe the serving stack with. */
function registerDiagnosticTools(server: McpServer, notify: ServerNotifier): void {
  server.registerTool(
    'test_trigger_tool_change',
    { description: 'Announces that the tool list changed.', inputSchema: z.object({}) },
    () => {
      notify.toolsChanged();
      return text('Announced notifications/tools/list_changed');
    },
  );
  server.registerTool(
    'test_trigger_prompt_change',
    { description: 'Announces that the prompt list changed.', inputSchema: z.object({}) },
    () => {
      notify.promptsChanged();
      return text('Announced notifications/prompts/list_changed');
    },
  );
  server.registerTool(
    'test_logging_tool',
    {
      description: 'Logs one info message, which reaches only clients that asked for logs.',
      inputSchema: z.object({}),
    },
    async (_args, ctx) => {
      await ctx.mcpReq.log('info', 'test_logging_tool ran', 'conformance-fixtures');
      return text('Logged one message');
    },
  );
  server.registerTool(
    'test_missing_capability',
    {
      description: 'Needs sampling: refused with -32021 when the client did not declare it.',
      inputSchema: z.object({}),
    },
    (_args, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'summary');
      if (view.kind === 'sampling') return text('Sampled a summary');
      // The SDK checks the embedded request against the declared capabilities and answers
      // MissingRequiredClientCapabilityError (-32021) when sampling is missing.
      return inputRequired({
        inputRequests: {
          summary: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Summarise the conformance run' } }],
            maxTokens: 50,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_streaming_elicitation',
    {
      description: 'Reports progress, then asks for a name: the stream carries no server request.',
      inputSchema: z.object({}),
    },
    async (_args, ctx) => {
      const name = elicitedName(ctx, 'user_name');
      if (name !== undefined) return text(`Hello, ${name}!`);
      const progressToken = ctx.mcpReq._meta?.progressToken;
      if (progressToken !== undefined) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress: 1, total: 2, message: 'Waiting for the user' },
        });
      }
      return inputRequired({ inputRequests: { user_name: askName('What is your name?') } });
    },
  );
  server.registerTool(
    'test_custom_header',
    {
      description: 'Echoes a region that clients also send as the Mcp-Param-Region header (SEP-2243).',
      inputSchema: fromJsonSchema<{ region: string }>(CUSTOM_HEADER_SCHEMA),
    },
    ({ region }) => text(`Region: ${region}`),
  );
}

/**
 * Why a 2025-era push request cannot be sent: the client must have declared the capability at
 * `initialize`. A stateless instance never saw that handshake, and the client's answer would
 * arrive on a new POST that a fresh instance serves, so such a call fails at once rather than
 * waiting for an answer that never comes.
 */
function pushUnavailable(
  server: McpServer,
  capability: 'sampling' | 'elicitation',
): CallToolResult | undefined {
  if (server.server.getClientCapabilities()?.[capability]) return undefined;
  return {
    isError: true,
    content: [
      {
        type: 'text',
        text: `The client did not declare ${capability} at initialize on this connection (stateless serving keeps no handshake), so the server cannot ask it.`,
      },
    ],
  };
}

/** 2025-era tools that ask the client over the request's own stream (sampling, elicitation). */
function registerPushInputTools(server: McpServer): void {
  server.registerTool(
    'test_sampling',
    {
      description: 'Asks the client to sample a completion for the prompt.',
      inputSchema: z.object({ prompt: z.string().describe('The prompt to send to the LLM.') }),
    },
    async ({ prompt }, ctx) => {
      const unavailable = pushUnavailable(server, 'sampling');
      if (unavailable) return unavailable;
      const result = await ctx.mcpReq.requestSampling({
        messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
        maxTokens: 100,
      });
      const content = Array.isArray(result.content) ? result.content[0] : result.content;
      return text(`LLM response: ${content?.type === 'text' ? content.text : JSON.stringify(content)}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    {
      description: 'Asks the user, through the client, for a username and an email address.',
      inputSchema: z.object({ message: z.string().describe('The message to show the user.') }),
    },
    async ({ message }, ctx) => {
      const unavailable = pushUnavailable(server, 'elicitation');
      if (unavailable) return unavailable;
      const result = await ctx.mcpReq.elicitInput({
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return text(`User response: ${describeElicitation(result)}`);
    },
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicits a form whose fields all carry defaults (SEP-1034).', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const unavailable = pushUnavailable(server, 'elicitation');
      if (unavailable) return unavailable;
      const result = await ctx.mcpReq.elicitInput({
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', description: 'User name', default: 'John Doe' },
            age: { type: 'integer', description: 'User age', default: 30 },
            score: { type: 'number', description: 'User score', default: 95.5 },
            status: {
              type: 'string',
              description: 'User status',
              enum: ['active', 'inactive', 'pending'],
              default: 'active',
            },
            verified: { type: 'boolean', description: 'Verification status', default: true },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: ${describeElicitation(result)}`);
    },
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicits a form with the five enum variants of SEP-1330.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const unavailable = pushUnavailable(server, 'elicitation');
      if (unavailable) return unavailable;
      const result = await ctx.mcpReq.elicitInput({
        message: 'Please select options from the enum fields',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: {
              type: 'string',
              description: 'Select one option',
              enum: ['option1', 'option2', 'option3'],
            },
            titledSingle: {
              type: 'string',
              description: 'Select one option with titles',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              description: 'Select one option (legacy)',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              description: 'Select multiple options',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              description: 'Select multiple options with titles',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
      });
      return text(`Elicitation completed: ${describeElicitation(result)}`);
    },
  );
}

/** 2026-07-28 multi-round-trip tools (SEP-2322): they return `input_required` and read the retry. */
function registerInputRequiredTools(server: McpServer, codec: RequestStateCodec<FlowState>): void {
  server.registerTool(
    'test_input_required_result_elicitation',
    { description: 'Asks for the user name by elicitation, then greets.', inputSchema: z.object({}) },
    (_args, ctx) => {
      const name = elicitedName(ctx, 'user_name');
      if (name === undefined) {
        return inputRequired({ inputRequests: { user_name: askName('What is your name?') } });
      }
      return text(`Hello, ${name}!`);
    },
  );

  server.registerTool(
    'test_input_required_result_sampling',
    { description: 'Asks the client to sample an answer, then repeats it.', inputSchema: z.object({}) },
    (_args, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'capital_question');
      if (view.kind !== 'sampling') {
        return inputRequired({
          inputRequests: {
            capital_question: inputRequired.createMessage({
              messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }],
              maxTokens: 100,
            }),
          },
        });
      }
      const content = Array.isArray(view.result.content) ? view.result.content[0] : view.result.content;
      return text(`The model answered: ${content?.type === 'text' ? content.text : JSON.stringify(content)}`);
    },
  );

  server.registerTool(
    'test_input_required_result_list_roots',
    { description: "Asks for the client's roots, then lists them.", inputSchema: z.object({}) },
    (_args, ctx) => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'client_roots');
      if (view.kind !== 'roots') {
        return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
      }
      return text(`Client roots: ${view.roots.map((root) => root.uri).join(', ') || '(none)'}`);
    },
  );

  server.registerTool(
    'test_input_required_result_request_state',
    { description: 'Asks for a confirmation and carries sealed request state.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const tool = 'test_input_required_result_request_state';
      const state = await flowState(codec, ctx, tool);
      const view = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (state !== undefined && view.kind === 'elicit') {
        return text(`state-ok: confirmation ${view.action}, round ${state.round}`);
      }
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Please confirm',
            requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
          }),
        },
        requestState: await codec.mint({ tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_multiple_inputs',
    { description: 'Asks for a name, a sampled greeting and the roots at once.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const tool = 'test_input_required_result_multiple_inputs';
      const state = await flowState(codec, ctx, tool);
      const responses = ctx.mcpReq.inputResponses;
      const name = elicitedName(ctx, 'user_name');
      const greeting = inputResponse(responses, 'greeting');
      const roots = inputResponse(responses, 'client_roots');
      if (
        state !== undefined &&
        name !== undefined &&
        greeting.kind === 'sampling' &&
        roots.kind === 'roots'
      ) {
        return text(`Received all inputs for ${name}: a greeting and ${roots.roots.length} root(s)`);
      }
      const inputRequests: InputRequests = {
        user_name: askName('What is your name?'),
        greeting: inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
          maxTokens: 50,
        }),
        client_roots: inputRequired.listRoots(),
      };
      return inputRequired({ inputRequests, requestState: await codec.mint({ tool, round: 1 }) });
    },
  );

  server.registerTool(
    'test_input_required_result_multi_round',
    { description: 'Asks for a name, then a colour, in two rounds.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const tool = 'test_input_required_result_multi_round';
      const state = await flowState(codec, ctx, tool);
      const view = inputResponse(ctx.mcpReq.inputResponses, 'step2');
      if (state?.round === 2 && view.kind === 'elicit') {
        const color = view.content?.color;
        return text(`All rounds complete; favourite colour: ${typeof color === 'string' ? color : '(none)'}`);
      }
      if (state?.round === 1 && elicitedName(ctx, 'step1') !== undefined) {
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: {
                type: 'object',
                properties: { color: { type: 'string' } },
                required: ['color'],
              },
            }),
          },
          requestState: await codec.mint({ tool, round: 2 }),
        });
      }
      return inputRequired({
        inputRequests: { step1: askName('Step 1: What is your name?') },
        requestState: await codec.mint({ tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_tampered_state',
    { description: 'Carries sealed request state and rejects it when altered.', inputSchema: z.object({}) },
    async (_args, ctx) => {
      const tool = 'test_input_required_result_tampered_state';
      const state = await flowState(codec, ctx, tool);
      if (state !== undefined && elicitedName(ctx, 'user_name') !== undefined) return text('state-ok');
      return inputRequired({
        inputRequests: { user_name: askName('What is your name?') },
        requestState: await codec.mint({ tool, round: 1 }),
      });
    },
  );

  server.registerTool(
    'test_input_required_result_capabilities',
    {
      description: 'Asks only for the inputs the client declared it can provide.',
      inputSchema: z.object({}),
    },
    (_args, ctx) => {
      const envelope: Record<string, unknown> = ctx.mcpReq.envelope ?? {};
      const capabilities = (envelope[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
      const inputRequests: InputRequests = {};
      if (capabilities.elicitation) inputRequests.user_name = askName('What is your name?');
      if (capabilities.sampling) {
        inputRequests.greeting = inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }],
          maxTokens: 50,
        });
      }
      if (capabilities.roots) inputRequests.client_roots = inputRequired.listRoots();
      const missing = Object.keys(inputRequests).filter(
        (key) => inputResponse(ctx.mcpReq.inputResponses, key).kind === 'missing',
      );
      if (missing.length === 0) return text('Received every input the client can provide');
      return inputRequired({
        inputRequests: Object.fromEntries(missing.map((key) => [key, inputRequests[key]])) as InputRequests,
      });
    },
  );
}

function registerResources(server: McpServer, options: ConformanceFixtureOptions): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { title: 'Static text', description: 'A fixed text resource.', mimeType: 'text/plain' },
    (): ReadResourceResult => ({
      contents: [
        {
          uri: 'test://static-text',
          mimeType: 'text/plain',
          text: 'This is the content of the static text resource.',
        },
      ],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { title: 'Static binary', description: 'A fixed PNG image.', mimeType: 'image/png' },
    (): ReadResourceResult => ({
      contents: [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG_BASE64 }],
    }),
  );
  server.registerResource(
    'watched-resource',
    WATCHED_RESOURCE,
    {
      title: 'Watched resource',
      description: 'A resource clients may subscribe to.',
      mimeType: 'text/plain',
    },
    (): ReadResourceResult => ({
      contents: [{ uri: WATCHED_RESOURCE, mimeType: 'text/plain', text: 'Watched resource content' }],
    }),
  );
  server.registerResource(
    'template',
    new ResourceTemplate('test://template/{id}/data', {
      list: undefined,
      complete: { id: (value) => ['1', '123', '42'].filter((id) => id.startsWith(value)) },
    }),
    {
      title: 'Template data',
      description: 'JSON data for an id, substituted into the URI template.',
      mimeType: 'application/json',
    },
    (uri, variables): ReadResourceResult => {
      const id = String(variables.id);
      return {
        contents: [
          {
            uri: uri.toString(),
            mimeType: 'application/json',
            text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
          },
        ],
      };
    },
  );

  if (options.era === 'legacy') {
    // Serving is stateless, so the subscription is not kept here: the update travels on the
    // hosting server's bus.
    server.server.setRequestHandler('resources/subscribe', (request) => {
      options.notify.resourceUpdated(request.params.uri);
      return {};
    });
    server.server.setRequestHandler('resources/unsubscribe', () => ({}));
  }
}

function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'test_simple_prompt',
    { title: 'Simple prompt', description: 'A prompt without arguments.' },
    (): GetPromptResult => ({
      messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      title: 'Prompt with arguments',
      description: 'A prompt with two required arguments.',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), (value) =>
          COMPLETION_WORDS.filter((word) => word.startsWith(value)),
        ),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    ({ arg1, arg2 }): GetPromptResult => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      title: 'Prompt with an embedded resource',
      description: 'A prompt that embeds the resource named by its argument.',
      argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }),
    },
    ({ resourceUri }): GetPromptResult => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: resourceUri,
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_image',
    { title: 'Prompt with an image', description: 'A prompt carrying a PNG image.' },
    (): GetPromptResult => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  );
  server.registerPrompt(
    'test_input_required_result_prompt',
    { title: 'Prompt needing input', description: 'Asks for context by elicitation before it answers.' },
    (ctx): GetPromptResult | ReturnType<typeof inputRequired> => {
      const view = inputResponse(ctx.mcpReq.inputResponses, 'user_context');
      if (view.kind !== 'elicit') {
        return inputRequired({
          inputRequests: {
            user_context: inputRequired.elicit({
              message: 'What context should the prompt use?',
              requestedSchema: {
                type: 'object',
                properties: { context: { type: 'string' } },
                required: ['context'],
              },
            }),
          },
        });
      }
      const context = view.content?.context;
      return {
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: `Use this context: ${typeof context === 'string' ? context : '(none)'}`,
            },
          },
        ],
      };
    },
  );
}

/**
 * The fixtures as a server extension, for `mcpenv serve --conformance-fixtures`: one process, so
 * the request-state key is the process's own and list changes go through its handler's bus.
 */
export function conformanceExtension(requestStateKey: Uint8Array): ServerExtension {
  return {
    serverOptions: conformanceFixtureServerOptions({ requestStateKey }),
    register: (server, { era, notify }) =>
      registerConformanceFixtures(server, { era, requestStateKey, notify }),
  };
}
