/**
 * What refs hold on the index's origin (one `ls-remote`), or in the repository itself when it
 * has no origin: the ref named exactly, or every ref under a prefix that ends in `/`.
 */
import { RegistryError } from '../errors.js';
import { redact } from '../redact.js';
import { tryGit } from './git.js';
import type { LocalIndex } from './local-index.js';

/** ref name -> the object it points at */
export async function remoteRefs(index: LocalIndex, pattern: string): Promise<Map<string, string>> {
  const prefix = pattern.endsWith('/');
  const result = index.remote === null
    ? await tryGit(index.dir, ['for-each-ref', '--format=%(objectname)%09%(refname)', pattern])
    : await tryGit(index.dir, ['ls-remote', '--refs', 'origin', prefix ? `${pattern}*` : pattern], { remote: index.facts?.fetch });
  if (result.exitCode !== 0) throw new RegistryError('git', redact(`cannot read ${pattern} from ${index.remote ?? index.dir}`));
  const refs = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const [oid, name] = line.split('\t');
    // ls-remote's pattern also matches longer names ending in it (refs/x/refs/heads/main)
    if (oid !== undefined && name !== undefined && (prefix ? name.startsWith(pattern) : name === pattern)) refs.set(name, oid);
  }
  return refs;
}
