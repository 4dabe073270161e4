/**
 * Which strings config.toml and the command-line flags take as URLs. Apart from the config
 * parser, so a flag can be checked without loading the TOML parser.
 */

/** true for an absolute http(s), ssh, git or file URL, or scp-like `git@host:path` (what gix accepts). */
export function isUrl(value: string): boolean {
  if (/^[\w.-]+@[\w.-]+:[^\s]+$/.test(value)) return true;
  try {
    const url = new URL(value);
    return ['http:', 'https:', 'ssh:', 'git:', 'file:'].includes(url.protocol) && (url.host !== '' || url.protocol === 'file:');
  } catch {
    return false;
  }
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}
