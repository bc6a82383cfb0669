/** Typed helpers for the JSON Schemas of streams: every field nullable, every object open to more fields. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
}

const nullable = (
  type: string | string[],
  description?: string,
  extra: Partial<JsonSchema> = {},
): JsonSchema => ({
  type: [...(Array.isArray(type) ? type : [type]), 'null'],
  ...(description ? { description } : {}),
  ...extra,
});

export const string = (description?: string): JsonSchema => nullable('string', description);
/**
 * A key field: one type, never null, so that every target can key on it. Ids are strings: the engine turns
 * an integer id from the API into its decimal string.
 */
export const key = (description: string): JsonSchema => ({
  type: 'string',
  description: `${description} (a key: never null; an integer id from the API becomes its decimal string)`,
});
/** An integer key field (a page number). */
export const integerKey = (description: string): JsonSchema => ({ type: 'integer', description });
export const dateTime = (description?: string): JsonSchema =>
  nullable('string', description, { format: 'date-time' });
export const integer = (description?: string): JsonSchema => nullable('integer', description);
export const number = (description?: string): JsonSchema => nullable('number', description);
export const boolean = (description?: string): JsonSchema => nullable('boolean', description);
/** Any JSON value: for fields whose shape is unknown. */
export const anything = (description?: string): JsonSchema => (description ? { description } : {});

export const object = (properties: Record<string, JsonSchema>, description?: string): JsonSchema =>
  nullable('object', description, { properties, additionalProperties: true });

export const array = (items: JsonSchema, description?: string): JsonSchema =>
  nullable('array', description, { items });

/** A stream's record schema: an object that lists the known fields and allows more (never drop a field). */
export const record = (properties: Record<string, JsonSchema>): JsonSchema => ({
  type: 'object',
  properties,
  additionalProperties: true,
});
