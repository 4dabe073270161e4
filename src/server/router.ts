/**
 * Method + path matching over raw (still percent-encoded) segments, so `scope%2Fname`
 * stays one segment; handlers decode their own parameters. Paths are normalised like
 * actix's `NormalizePath::trim`: repeated slashes merged, a trailing slash dropped.
 *
 * Routes are compiled when added: grouped by segment count, each a list of literal
 * positions to compare and parameter positions to take, so a request costs one split and a
 * few string comparisons, and only the route that matches builds a params object.
 */
export type RouteAuth = 'none' | 'read' | 'write';

export interface Route<H> {
  method: string;
  /** as added, e.g. `/v1/packages/{name}`: the label of the route in the metrics */
  pattern: string;
  segments: string[];
  auth: RouteAuth;
  handler: H;
}

export type RouteMatch<H> =
  | { kind: 'found'; route: Route<H>; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

interface CompiledRoute<H> {
  route: Route<H>;
  /** segment index and the text it must equal */
  literals: Array<[number, string]>;
  /** segment index and the parameter it fills */
  params: Array<[number, string]>;
}

const NOT_FOUND = { kind: 'not-found' } as const;

export class Router<H> {
  /** by segment count, in the order added (the first match wins, as before compiling) */
  private readonly bySegments = new Map<number, CompiledRoute<H>[]>();

  add(method: string, pattern: string, auth: RouteAuth, handler: H): this {
    const segments = splitPath(pattern);
    const compiled: CompiledRoute<H> = { route: { method, pattern, segments, auth, handler }, literals: [], params: [] };
    segments.forEach((s, i) => {
      if (s.startsWith('{') && s.endsWith('}')) compiled.params.push([i, s.slice(1, -1)]);
      else compiled.literals.push([i, s]);
    });
    let group = this.bySegments.get(segments.length);
    if (group === undefined) this.bySegments.set(segments.length, (group = []));
    group.push(compiled);
    return this;
  }

  match(method: string, rawPath: string): RouteMatch<H> {
    const segments = splitPath(rawPath);
    const group = this.bySegments.get(segments.length);
    if (group === undefined) return NOT_FOUND;
    // HEAD is GET without a body
    const wanted = method === 'HEAD' ? 'GET' : method;
    let allow: Set<string> | undefined;
    for (const candidate of group) {
      if (!literalsMatch(candidate.literals, segments)) continue;
      const route = candidate.route;
      if (route.method === wanted) return { kind: 'found', route, params: paramsOf(candidate.params, segments) };
      (allow ??= new Set()).add(route.method);
    }
    if (allow !== undefined) return { kind: 'method-not-allowed', allow: [...allow] };
    return NOT_FOUND;
  }
}

/** `rawPath.split('/')` without the empty segments, in one pass. */
export function splitPath(rawPath: string): string[] {
  const segments: string[] = [];
  let start = 0;
  for (;;) {
    const slash = rawPath.indexOf('/', start);
    const end = slash < 0 ? rawPath.length : slash;
    if (end > start) segments.push(rawPath.slice(start, end));
    if (slash < 0) return segments;
    start = slash + 1;
  }
}

function literalsMatch(literals: ReadonlyArray<[number, string]>, segments: readonly string[]): boolean {
  for (const [i, text] of literals) if (segments[i] !== text) return false;
  return true;
}

function paramsOf(params: ReadonlyArray<[number, string]>, segments: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, name] of params) out[name] = segments[i]!;
  return out;
}
