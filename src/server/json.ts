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
  // pieces joined once at the end: appending with += would leave a tree of string pieces,
  // which takes several times the memory of the text in the caches that keep it
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

function write(value: JsonValue, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('null');
  } else if (typeof value !== 'object') {
    out.push(JSON.stringify(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      write(value[i], out);
    }
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    const member = (item: JsonValue, key: string) => {
      if (item === undefined) return;
      out.push(first ? quotedKey(key) : `,${quotedKey(key)}`);
      first = false;
      write(item, out);
    };
    if (value instanceof Map) {
      (value as ReadonlyMap<string, JsonValue>).forEach(member);
    } else {
      const record = value as { readonly [key: string]: JsonValue };
      for (const key of Object.keys(record)) member(record[key], key);
    }
    out.push('}');
  }
}

/** `"key":` for the few field names every answer repeats, made once. */
const quotedKeys = new Map<string, string>();

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    // aliases and versions are keys too: the cache stays small whatever they are
    if (quotedKeys.size < 1024) quotedKeys.set(key, quoted);
  }
  return quoted;
}
