import { z } from 'zod';
import { argumentsFor } from '../../../server/probe/arguments';
import { MEMORY_TOOLS } from '../../../server/tools/memory';

describe('arguments made from a tool’s input schema', () => {
  test('gives each required property a valid value and leaves optional ones out', () => {
    expect(
      argumentsFor({
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1, maxLength: 500 },
          limit: { type: 'integer', minimum: 1, maximum: 50 },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['query'],
      }),
    ).toEqual({ query: 'mcpenv-probe' });
  });

  test.each<[string, object, unknown]>([
    ['a plain string', { type: 'string' }, 'mcpenv-probe'],
    ['a string cut to maxLength', { type: 'string', maxLength: 6 }, 'mcpenv'],
    ['a string padded to minLength', { type: 'string', minLength: 20 }, 'mcpenv-probe-mcpenv-'],
    ['a string of exactly one length', { type: 'string', minLength: 3, maxLength: 3 }, 'mcp'],
    ['an enum, its first member', { type: 'string', enum: ['b', 'a'] }, 'b'],
    ['a const', { const: 'fixed' }, 'fixed'],
    ['a number with a minimum', { type: 'number', minimum: 2.5 }, 2.5],
    ['a number without bounds', { type: 'number' }, 1],
    ['a number capped below 1', { type: 'number', maximum: 0 }, 0],
    ['an integer with a minimum', { type: 'integer', minimum: 3 }, 3],
    ['an integer above an exclusive minimum', { type: 'integer', exclusiveMinimum: 4 }, 5],
    ['an integer with a fractional minimum', { type: 'integer', minimum: 0.5 }, 1],
    ['a boolean', { type: 'boolean' }, false],
    ['an array', { type: 'array', items: { type: 'string' }, minItems: 0 }, []],
    ['an object without required properties', { type: 'object', properties: { a: { type: 'string' } } }, {}],
    [
      'an object, its own required properties filled',
      { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] },
      { n: 1 },
    ],
    ['a nullable string', { type: ['null', 'string'] }, 'mcpenv-probe'],
    ['null alone', { type: 'null' }, null],
    ['the first branch of anyOf', { anyOf: [{ type: 'boolean' }, { type: 'string' }] }, false],
    ['a property without a schema', {}, 'mcpenv-probe'],
  ])('fills %s', (_case, property, expected) => {
    expect(argumentsFor({ type: 'object', properties: { value: property }, required: ['value'] })).toEqual({
      value: expected,
    });
  });

  test('fills a required property the schema does not describe, and one named like an Object member', () => {
    const args = argumentsFor(
      JSON.parse(
        '{"type":"object","properties":{"__proto__":{"type":"boolean"}},"required":["__proto__","toString"]}',
      ),
    );
    expect(Object.getPrototypeOf(args)).toBe(Object.prototype);
    expect(Object.entries(args)).toEqual([
      ['__proto__', false],
      ['toString', 'mcpenv-probe'],
    ]);
  });

  test('gives a tool without required input an empty object', () => {
    expect(argumentsFor({ type: 'object' })).toEqual({});
  });

  test.each(['memory_search', 'memory_store'])(
    'makes arguments the reference server’s %s accepts, from the JSON Schema it lists',
    (name) => {
      const tool = MEMORY_TOOLS.find((candidate) => candidate.name === name);
      const input = z.object(tool?.inputSchema ?? {});
      expect(input.safeParse(argumentsFor(z.toJSONSchema(input))).success).toBe(true);
    },
  );
});
