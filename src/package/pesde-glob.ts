/**
 * Globs as pesde matches `includes` and `workspace_members`: the Rust `wax` 0.6 grammar.
 * npm glob libraries differ in ways that change what gets packed (a glob matches whole
 * paths, so `src` selects the folder but none of its files; `*` matches dotfiles; `$`,
 * `<...:n,m>` and `(?i)` have meanings), so this follows wax's grammar and regex encoding.
 */
export class GlobSyntaxError extends Error {
  override readonly name = 'GlobSyntaxError';
}

type GlobToken =
  | { kind: 'literal'; text: string; caseInsensitive: boolean }
  | { kind: 'separator' }
  | { kind: 'one' }
  | { kind: 'zeroOrMore'; lazy: boolean }
  | { kind: 'tree'; hasRoot: boolean }
  | { kind: 'class'; negated: boolean; items: Array<[number, number]> }
  | { kind: 'alternative'; branches: GlobToken[][] }
  | { kind: 'repetition'; tokens: GlobToken[]; lower: number; upper: number | undefined };

/** Characters with a meaning in wax; a literal holds them only escaped (`/` and `\` never). */
const GLOB_META = new Set('/?*$:<>()[]{},\\');
const GLOB_ESCAPABLE = new Set('?*$:<>()[]{},');

/**
 * A recursive-descent copy of wax 0.6's parser (its nom grammar), including where it
 * backtracks: each token tries literal, repetition, alternative, wildcard, class, then
 * separator, each after optional `(?i)` / `(?-i)` flags.
 */
class GlobParser {
  private pos = 0;
  private caseInsensitive: boolean;
  /** where the current (sub-)glob began: a tree wildcard may start there without a `/` */
  private subexpression = 0;
  private furthest = 0;

  constructor(private readonly chars: readonly string[]) {
    // wax follows the platform's file system: case-insensitive on Windows only.
    this.caseInsensitive = process.platform === 'win32';
  }

  parse(): GlobToken[] {
    if (this.chars.length === 0) return [];
    const tokens = this.glob(() => this.pos === this.chars.length);
    if (tokens === null) {
      const at = this.furthest;
      const char = this.chars[at];
      const afterTree = this.chars[at - 1] === '*' && this.chars[at - 2] === '*';
      const hint = afterTree || char === '*' ? 'a ** must be a whole path component, as in src/**/*.luau, and * cannot follow * or $' : hintFor(char);
      throw new GlobSyntaxError(char === undefined ? `it ends too early: ${hint}` : `at character ${at + 1}, ${JSON.stringify(char)}: ${hint}`);
    }
    return tokens;
  }

  private save(): [number, boolean] {
    return [this.pos, this.caseInsensitive];
  }

  private restore([pos, caseInsensitive]: [number, boolean]): void {
    this.furthest = Math.max(this.furthest, this.pos);
    this.pos = pos;
    this.caseInsensitive = caseInsensitive;
  }

  private at(text: string, offset = 0): boolean {
    for (let i = 0; i < text.length; i++) if (this.chars[this.pos + offset + i] !== text[i]) return false;
    return true;
  }

  /** One or more tokens, then the terminator (peeked, not consumed); null on failure. */
  private glob(isTerminator: () => boolean): GlobToken[] | null {
    const outer = this.subexpression;
    this.subexpression = this.pos;
    const tokens: GlobToken[] = [];
    for (;;) {
      const token = this.token(isTerminator);
      if (token === null) break;
      tokens.push(token);
    }
    this.subexpression = outer;
    this.furthest = Math.max(this.furthest, this.pos);
    return tokens.length > 0 && isTerminator() ? tokens : null;
  }

  private token(isTerminator: () => boolean): GlobToken | null {
    const parsers = [
      () => this.literal(),
      () => this.repetition(),
      () => this.alternative(),
      () => this.wildcard(isTerminator),
      () => this.characterClass(),
      () => this.separator(),
    ];
    for (const parser of parsers) {
      const saved = this.save();
      this.flags(true);
      const token = parser();
      if (token !== null) return token;
      this.restore(saved);
    }
    return null;
  }

  /** `(?i)` / `(?-i)` groups; a group that does not parse whole is not consumed. */
  private flags(apply: boolean): void {
    for (;;) {
      if (!this.at('(?')) return;
      let p = this.pos + 2;
      let value = this.caseInsensitive;
      let toggles = 0;
      for (;;) {
        if (this.chars[p] === 'i') {
          value = true;
          p += 1;
        } else if (this.chars[p] === '-' && this.chars[p + 1] === 'i') {
          value = false;
          p += 2;
        } else {
          break;
        }
        toggles++;
      }
      if (toggles === 0 || this.chars[p] !== ')') return;
      this.pos = p + 1;
      if (apply) this.caseInsensitive = value;
    }
  }

  private literal(): GlobToken | null {
    let text = '';
    while (this.pos < this.chars.length) {
      const char = this.chars[this.pos] as string;
      if (char === '\\') {
        const next = this.chars[this.pos + 1];
        if (next === undefined || !GLOB_ESCAPABLE.has(next)) return null;
        text += next;
        this.pos += 2;
      } else if (GLOB_META.has(char)) {
        break;
      } else {
        text += char;
        this.pos += 1;
      }
    }
    return text === '' ? null : { kind: 'literal', text, caseInsensitive: this.caseInsensitive };
  }

  private separator(): GlobToken | null {
    if (!this.at('/')) return null;
    this.pos += 1;
    return { kind: 'separator' };
  }

  private wildcard(isTerminator: () => boolean): GlobToken | null {
    if (this.at('?')) {
      this.pos += 1;
      return { kind: 'one' };
    }
    const saved = this.save();
    const tree = this.tree(isTerminator);
    if (tree !== null) return tree;
    this.restore(saved);
    for (const [char, lazy] of [['*', false], ['$', true]] as const) {
      if (!this.at(char)) continue;
      this.pos += 1;
      // A zero-or-more wildcard may not be followed by another one (`**` is only a tree).
      const afterWildcard = this.pos;
      this.flags(false);
      const next = this.chars[this.pos];
      this.pos = afterWildcard;
      if ((next !== undefined && next !== '*' && next !== '$') || isTerminator()) return { kind: 'zeroOrMore', lazy };
      return null;
    }
    return null;
  }

  /** `**` between separators or the ends of the (sub-)glob; the separators belong to it. */
  private tree(isTerminator: () => boolean): GlobToken | null {
    let hasRoot: boolean;
    if (this.at('/')) {
      hasRoot = true;
      this.pos += 1;
    } else if (this.pos === this.subexpression) {
      hasRoot = false;
    } else {
      return null;
    }
    this.flags(true);
    if (!this.at('**')) return null;
    this.pos += 2;
    const beforePostfix = this.save();
    this.flags(true);
    if (this.at('/')) {
      this.pos += 1;
      return { kind: 'tree', hasRoot };
    }
    this.restore(beforePostfix);
    return isTerminator() ? { kind: 'tree', hasRoot } : null;
  }

  private characterClass(): GlobToken | null {
    if (!this.at('[')) return null;
    this.pos += 1;
    let negated = false;
    if (this.at('!')) {
      negated = true;
      this.pos += 1;
    }
    const items: Array<[number, number]> = [];
    const classChar = (): number | null => {
      const char = this.chars[this.pos];
      if (char === undefined) return null;
      if (char === '\\') {
        const next = this.chars[this.pos + 1];
        if (next !== '[' && next !== ']' && next !== '-') return null;
        this.pos += 2;
        return next.codePointAt(0) as number;
      }
      if (char === '[' || char === ']' || char === '-') return null;
      this.pos += 1;
      return char.codePointAt(0) as number;
    };
    for (;;) {
      const start = this.pos;
      const low = classChar();
      if (low === null) {
        this.pos = start;
        break;
      }
      const afterLow = this.pos;
      if (this.at('-')) {
        this.pos += 1;
        const high = classChar();
        if (high !== null) {
          items.push([low, high]);
          continue;
        }
        this.pos = afterLow;
      }
      items.push([low, low]);
    }
    if (items.length === 0 || !this.at(']')) return null;
    this.pos += 1;
    return { kind: 'class', negated, items };
  }

  private alternative(): GlobToken | null {
    if (!this.at('{')) return null;
    this.pos += 1;
    const isBranchEnd = (): boolean => this.at(',') || this.at('}');
    const branches: GlobToken[][] = [];
    for (;;) {
      const beforeBranch = this.save();
      const branch = this.glob(isBranchEnd);
      if (branch === null) {
        this.restore(beforeBranch);
        // separated_list1: a failed branch after a comma gives the comma back
        if (branches.length > 0) this.pos -= 1;
        break;
      }
      branches.push(branch);
      if (!this.at(',')) break;
      this.pos += 1;
    }
    if (branches.length === 0 || !this.at('}')) return null;
    this.pos += 1;
    return { kind: 'alternative', branches };
  }

  private repetition(): GlobToken | null {
    if (!this.at('<')) return null;
    this.pos += 1;
    const tokens = this.glob(() => this.at(':') || this.at('>'));
    if (tokens === null) return null;
    let lower = 0;
    let upper: number | undefined;
    if (this.at(':')) {
      this.pos += 1;
      const digits = (): string => {
        let text = '';
        while (/[0-9]/.test(this.chars[this.pos] ?? '')) text += this.chars[this.pos++];
        return text;
      };
      const first = digits();
      if (first === '') {
        lower = 1;
      } else if (this.at(',')) {
        this.pos += 1;
        lower = Number(first);
        const second = digits();
        upper = second === '' ? undefined : Number(second);
      } else {
        lower = Number(first);
        upper = lower;
      }
    }
    if (!this.at('>')) return null;
    this.pos += 1;
    return { kind: 'repetition', tokens, lower, upper };
  }
}

function hintFor(char: string | undefined): string {
  if (char === undefined) return 'close every [, { and <';
  if (char === '\\') return 'only ? * $ : < > ( ) [ ] { } , can be escaped with \\';
  if (GLOB_ESCAPABLE.has(char)) return `${char} has a meaning in globs: write \\${char} for the character itself`;
  if (char === '/') return 'a path component is empty, or a / is next to a **';
  return 'unexpected character';
}

type Position = 'first' | 'middle' | 'last' | 'only';

function positionOf(index: number, count: number): Position {
  if (count === 1) return 'only';
  if (index === 0) return 'first';
  return index === count - 1 ? 'last' : 'middle';
}

const escapeRegex = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
const codePointClass = (cp: number): string => `\\u{${cp.toString(16)}}`;

function literalRegex(text: string, caseInsensitive: boolean): string {
  if (!caseInsensitive) return escapeRegex(text);
  let out = '';
  for (const char of text) {
    const variants = [...new Set([char, char.toLowerCase(), char.toUpperCase()])];
    out += variants.length === 1 ? escapeRegex(char) : `(?:${variants.map(escapeRegex).join('|')})`;
  }
  return out;
}

/** wax's regex encoding (encode.rs), with its capture groups left out: only matching matters here. */
function encode(tokens: readonly GlobToken[], superposition: Position | undefined): string {
  const intermediateTree = '(?:/|/.*/)';
  let out = '';
  tokens.forEach((token, index) => {
    const position = positionOf(index, tokens.length);
    switch (token.kind) {
      case 'literal':
        out += literalRegex(token.text, token.caseInsensitive);
        break;
      case 'separator':
        out += '/';
        break;
      case 'one':
        out += '[^/]';
        break;
      case 'zeroOrMore':
        out += token.lazy ? '[^/]*?' : '[^/]*';
        break;
      case 'class': {
        const ranges = token.items.map(([low, high]) => (low === high ? codePointClass(low) : `${codePointClass(low)}-${codePointClass(high)}`));
        // An inverted range makes wax's class fail to compile, and it then matches nothing.
        if (token.items.some(([low, high]) => low > high)) out += '[^\\s\\S]';
        else out += token.negated ? `[^${ranges.join('')}/]` : `(?!/)[${ranges.join('')}]`;
        break;
      }
      case 'alternative':
        out += `(?:${token.branches.map((branch) => `(?:${encode(branch, superposition ?? position)})`).join('|')})`;
        break;
      case 'repetition':
        out += `(?:(?:${encode(token.tokens, superposition ?? position)}){${token.lower},${token.upper ?? ''}})`;
        break;
      case 'tree':
        if (position === 'only') out += '.*';
        else if (position === 'middle') out += intermediateTree;
        else if (position === 'first') {
          if (superposition === 'middle' || superposition === 'last') out += intermediateTree;
          else out += token.hasRoot ? '/.*/?' : '(?:/?|.*/)';
        } else if (superposition === 'first' || superposition === 'middle') out += intermediateTree;
        else out += '(?:/?|/.*)';
        break;
    }
  });
  return out;
}

const isBoundary = (token: GlobToken): boolean => token.kind === 'separator' || token.kind === 'tree';

/** wax's rule against adjacent separators and tree wildcards (`a//b`, `**\/**`), at every level. */
function checkBoundaries(tokens: readonly GlobToken[]): void {
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if (next !== undefined && isBoundary(token) && isBoundary(next)) {
      throw new GlobSyntaxError('two path separators or ** are next to each other: remove one');
    }
    if (token.kind === 'alternative') token.branches.forEach(checkBoundaries);
    if (token.kind === 'repetition') checkBoundaries(token.tokens);
  });
}

/**
 * A glob of `includes` or `workspace_members` (without its `!`) as a regex over
 * `/`-separated relative paths; throws GlobSyntaxError where wax would refuse the glob.
 */
export function compileGlob(glob: string): RegExp {
  const tokens = new GlobParser(Array.from(glob)).parse();
  checkBoundaries(tokens);
  return new RegExp(`^${encode(tokens, undefined)}$`, 'u');
}
