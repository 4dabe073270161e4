/**
 * JSON text with key order under our control. Plain objects keep insertion order only for
 * non-integer keys (JavaScript moves "1" before "b"), and a dependency alias may be all
 * digits, so ordered maps (aliases, versions) are passed as Map and written in Map order,
 * the way serde writes a BTreeMap. `undefined` members are left out, as JSON.stringify does.
 */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly JsonValue[]
  | ReadonlyMap<string, JsonValue>
  | { readonly [key: string]: JsonValue };

export function toJson(value: JsonValue): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  const members: string[] = [];
  const entries = value instanceof Map ? value.entries() : Object.entries(value);
  for (const [key, member] of entries as Iterable<[string, JsonValue]>) {
    if (member === undefined) continue;
    members.push(`${JSON.stringify(key)}:${toJson(member)}`);
  }
  return `{${members.join(',')}}`;
}
