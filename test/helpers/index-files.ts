/** Index package files that take a load's less common paths, for tests of what a load ends with. */

/** Valid, but the quick scan declines it (a comment), so it is parsed in full. */
export const SCAN_DECLINED_FILE = `# a comment: the quick scan declines the file, the full parse reads it
["1.0.0 luau"]
published_at = "2030-01-01T00:00:00Z"
description = "Hand-written"

["1.0.0 luau".target]
environment = "luau"
lib = "init.luau"
`;
