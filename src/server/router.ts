/**
 * Method + path matching over raw (still percent-encoded) segments, so `scope%2Fname`
 * stays one segment; handlers decode their own parameters. Paths are normalised like
 * actix's `NormalizePath::trim`: repeated slashes merged, a trailing slash dropped.
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

export class Router<H> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, auth: RouteAuth, handler: H): this {
    this.routes.push({ method, pattern, segments: splitPath(pattern), auth, handler });
    return this;
  }

  match(method: string, rawPath: string): RouteMatch<H> {
    const segments = splitPath(rawPath);
    // HEAD is GET without a body
    const wanted = method === 'HEAD' ? 'GET' : method;
    const allow = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === null) continue;
      if (route.method === wanted) return { kind: 'found', route, params };
      allow.add(route.method);
    }
    if (allow.size > 0) return { kind: 'method-not-allowed', allow: [...allow] };
    return { kind: 'not-found' };
  }
}

export function splitPath(rawPath: string): string[] {
  return rawPath.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (p.startsWith('{') && p.endsWith('}')) params[p.slice(1, -1)] = s;
    else if (p !== s) return null;
  }
  return params;
}
