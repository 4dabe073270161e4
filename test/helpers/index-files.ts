/** Index package files that take a load's less common paths, for tests of what a load ends with. */
import { INLINE_MAX_CHARS } from '../../src/server/package-parser.js';

/** Valid, but the quick scan declines it (a comment), so it is parsed in full. */
export const SCAN_DECLINED_FILE = `# a comment: the quick scan declines the file, the full parse reads it
["1.0.0 luau"]
published_at = "2030-01-01T00:00:00Z"
description = "Hand-written"

["1.0.0 luau".target]
environment = "luau"
lib = "init.luau"
`;

/** A valid file larger than the event loop parses (so the parse worker reads it): many versions of one package. */
export function largePackageFile(): string {
  let text = '';
  for (let minor = 0; text.length <= INLINE_MAX_CHARS * 2; minor++) {
    text += `["1.${minor}.0 luau"]\npublished_at = "2030-01-01T00:00:00Z"\ndescription = "version ${minor}"\n\n["1.${minor}.0 luau".target]\nenvironment = "luau"\nlib = "init.luau"\n\n`;
  }
  return text;
}
