/**
 * A TOML writer that reproduces, byte for byte, what the official registry writes with
 * `toml::to_string` (the `toml` crate 0.9, whose strings and keys come from `toml_writer`).
 * Generic libraries choose quoting and table layout differently, and any difference shows
 * up as noise in the index's Git history, so we follow the crate's rules exactly:
 *
 * - a table's plain values are written under its header in field order; its sub-tables
 *   and arrays of tables follow as their own `[a.b]` / `[[a.b]]` sections, depth first;
 * - a section with nothing to say (no values, only sub-tables) is left out;
 * - one blank line separates sections; the document ends with the last value's newline;
 * - a non-empty array whose every element is a table becomes an array of tables, any
 *   other array (including `[]` and mixed ones) is written inline as `[a, b]`;
 * - inline tables are `{ k = v, k2 = v2 }` (`{}` when empty).
 */

/** Plain objects keep fields in declaration order; use a Map for data-keyed tables (see below). */
export type TomlTable = ReadonlyMap<string, TomlValue | undefined> | { readonly [key: string]: TomlValue | undefined };
export type TomlValue = string | number | bigint | boolean | readonly TomlValue[] | TomlTable;

/**
 * Plain objects enumerate integer-like keys ("1", "42") before all others, whatever the
 * insertion order; a Map does not, so tables keyed by user data (aliases, script names)
 * should be Maps. `undefined` entries are skipped, like serde's `skip_serializing_if`.
 */
function tableEntries(table: TomlTable): Array<[string, TomlValue]> {
  const entries = table instanceof Map ? [...table.entries()] : Object.entries(table);
  return entries.filter((entry): entry is [string, TomlValue] => entry[1] !== undefined);
}

const isTable = (value: TomlValue): value is TomlTable =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isArrayOfTables = (value: TomlValue): value is readonly TomlTable[] =>
  Array.isArray(value) && value.length > 0 && value.every((element: TomlValue) => isTable(element));

/** What the strings would need: decides between the four TOML string forms. */
interface StringMetrics {
  maxSingleQuotes: number;
  maxDoubleQuotes: number;
  /** control characters other than tab and newline, which only a basic string can hold */
  escapeCodes: boolean;
  backslash: boolean;
  newline: boolean;
}

const isControl = (code: number): boolean => code <= 0x1f || code === 0x7f;

/**
 * Nothing a quoting rule looks at: no quote, backslash or control character. Most strings
 * of an index file are like that; one native test answers for them, where the loops below
 * run character by character in a CLI's still cold code (a publish writes a whole file).
 */
const PLAIN = /^[^'"\\\x00-\x1f\x7f]*$/;

function measure(s: string): StringMetrics {
  const metrics: StringMetrics = {
    maxSingleQuotes: 0,
    maxDoubleQuotes: 0,
    escapeCodes: false,
    backslash: false,
    newline: false,
  };
  let singles = 0;
  let doubles = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    singles = code === 0x27 ? singles + 1 : 0;
    doubles = code === 0x22 ? doubles + 1 : 0;
    metrics.maxSingleQuotes = Math.max(metrics.maxSingleQuotes, singles);
    metrics.maxDoubleQuotes = Math.max(metrics.maxDoubleQuotes, doubles);
    if (code === 0x5c) metrics.backslash = true;
    else if (code === 0x0a) metrics.newline = true;
    else if (code !== 0x09 && isControl(code)) metrics.escapeCodes = true;
  }
  return metrics;
}

const SHORT_ESCAPES: Record<number, string> = {
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0c: '\\f',
  0x0d: '\\r',
  0x5c: '\\\\',
};

/**
 * Escapes for a basic string (tabs too, although TOML would allow them raw). In a multi-line one, newlines stay literal and up to two
 * quotes in a row stay unescaped (a third would close the string).
 */
function escapeBasic(s: string, multiline: boolean): string {
  const quotesAllowed = multiline ? 2 : 0;
  let out = '';
  let quotes = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code === 0x22) {
      quotes++;
      if (quotes > quotesAllowed) {
        out += '\\"';
        quotes = 0;
      } else {
        out += '"';
      }
      continue;
    }
    quotes = 0;
    if (code === 0x0a && multiline) out += '\n';
    else if (SHORT_ESCAPES[code] !== undefined) out += SHORT_ESCAPES[code];
    else if (isControl(code)) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += s[i];
  }
  return out;
}

/**
 * In order of preference: "basic" without escapes, 'literal', """multi-line basic"""
 * without escapes, '''multi-line literal''', then basic (or multi-line basic when the
 * text has newlines) with escapes. Multi-line strings holding a newline start with one
 * (TOML drops a newline right after the opening quotes).
 */
export function tomlString(s: string): string {
  // what measure() and escapeBasic() would find, without their loops
  if (PLAIN.test(s)) return `"${s}"`;
  const m = measure(s);
  if (!m.escapeCodes && !m.backslash && m.maxDoubleQuotes === 0 && !m.newline) return `"${escapeBasic(s, false)}"`;
  if (!m.escapeCodes && m.maxSingleQuotes === 0 && !m.newline) return `'${s}'`;
  const lead = m.newline ? '\n' : '';
  if (!m.escapeCodes && !m.backslash && m.maxDoubleQuotes <= 2) return `"""${lead}${escapeBasic(s, true)}"""`;
  if (!m.escapeCodes && m.maxSingleQuotes <= 2) return `'''${lead}${s}'''`;
  return m.newline ? `"""${lead}${escapeBasic(s, true)}"""` : `"${escapeBasic(s, false)}"`;
}

/** Bare when possible, else "quoted", else 'literal', else "escaped". */
export function tomlKey(key: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(key)) return key;
  if (PLAIN.test(key)) return `"${key}"`;
  const m = measure(key);
  const controls = m.escapeCodes || m.newline;
  const basicNeedsEscapes = m.backslash || key.includes('"');
  if (!controls && basicNeedsEscapes && !key.includes("'")) return `'${key}'`;
  return `"${escapeBasic(key, false)}"`;
}

/** A value as written after `key = `: scalars, inline arrays and inline tables. */
export function tomlInlineValue(value: TomlValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    // Index files hold integers only; refusing floats keeps a mistake from writing `1e21`.
    if (!Number.isSafeInteger(value)) throw new TypeError(`cannot write ${value} as a TOML integer`);
    return value.toString();
  }
  if (Array.isArray(value)) return `[${value.map(tomlInlineValue).join(', ')}]`;
  const entries = tableEntries(value as TomlTable);
  if (entries.length === 0) return '{}';
  return `{ ${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlInlineValue(v)}`).join(', ')} }`;
}

interface Section {
  path: string[];
  arrayElement: boolean;
  body: string;
  hasChildren: boolean;
}

/** Writes `table` as a whole document, the way `toml::to_string` lays out a struct. */
export function tomlDocument(table: TomlTable): string {
  const sections: Section[] = [];
  addSection(sections, table, [], false);
  return sections
    .filter((s) => (s.path.length === 0 ? s.body !== '' : s.arrayElement || s.body !== '' || !s.hasChildren))
    .map((s) => {
      if (s.path.length === 0) return s.body;
      const header = s.path.map(tomlKey).join('.');
      return `${s.arrayElement ? `[[${header}]]` : `[${header}]`}\n${s.body}`;
    })
    .join('\n');
}

/** Reserves the section's place before its children's, so parents print first. */
function addSection(sections: Section[], table: TomlTable, path: string[], arrayElement: boolean): void {
  const section: Section = { path, arrayElement, body: '', hasChildren: false };
  sections.push(section);
  for (const [key, value] of tableEntries(table)) {
    if (isArrayOfTables(value)) {
      section.hasChildren = true;
      for (const element of value) addSection(sections, element, [...path, key], true);
    } else if (isTable(value)) {
      section.hasChildren = true;
      addSection(sections, value, [...path, key], false);
    } else {
      section.body += `${tomlKey(key)} = ${tomlInlineValue(value)}\n`;
    }
  }
}
