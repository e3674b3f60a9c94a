/**
 * Arguments for the probe's tool call, made from the tool's `inputSchema` (JSON Schema): the
 * smallest valid value for each required property, so that a server validating its input answers
 * the call instead of refusing it. Optional properties are left out; the tool's defaults apply.
 */

/** The part of JSON Schema the generator reads. */
interface Schema {
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly exclusiveMinimum?: number;
  readonly maximum?: number;
}

const PROBE_TEXT = 'mcpenv-probe';

/** `mcpenv-probe`, cut or repeated to fit the schema's length bounds. */
function stringFor(schema: Schema): string {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Number.POSITIVE_INFINITY;
  const text = PROBE_TEXT.padEnd(min, `-${PROBE_TEXT}`);
  return text.slice(0, Math.max(min, Math.min(max, text.length)));
}

/** The schema's minimum (the first integer above an exclusive one), else 1 when allowed, else its maximum. */
function numberFor(schema: Schema, integer: boolean): number {
  const lowest =
    schema.minimum ?? (schema.exclusiveMinimum === undefined ? undefined : schema.exclusiveMinimum + 1);
  const value = lowest ?? Math.min(1, schema.maximum ?? 1);
  return integer ? Math.ceil(value) : value;
}

/** The first type a schema allows, `null` only when it allows nothing else. */
function typeOf(schema: Schema): string | undefined {
  const types = typeof schema.type === 'string' ? [schema.type] : (schema.type ?? []);
  return types.find((type) => type !== 'null') ?? types[0];
}

/** A value the schema accepts. */
function valueFor(schema: Schema): unknown {
  if ('const' in schema) return schema.const;
  if (schema.enum && schema.enum.length > 0) return schema.enum[0];
  const branch = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (branch) return valueFor(branch);
  switch (typeOf(schema)) {
    case 'number':
      return numberFor(schema, false);
    case 'integer':
      return numberFor(schema, true);
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return argumentsFor(schema);
    case 'null':
      return null;
    default:
      return stringFor(schema);
  }
}

/** Arguments for a tool call: each required property of `inputSchema` with a valid value. */
export function argumentsFor(inputSchema: object): Record<string, unknown> {
  const schema = inputSchema as Schema;
  // fromEntries defines own properties: a property named `__proto__` stays an argument.
  const properties = schema.properties ?? {};
  return Object.fromEntries(
    (schema.required ?? []).map((name) => [
      name,
      valueFor(Object.hasOwn(properties, name) ? (properties[name] as Schema) : {}),
    ]),
  );
}
