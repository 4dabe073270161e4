/** `pesde-registry log [<scope/name>]`: the writes recorded in the index history, newest first. */
import { readAuditLog, whoOf } from '../audit/history.js';
import { parsePackageName } from '../index-repo/names.js';
import { fetchOrigin, openLocalIndex, tipCommit } from '../index-repo/local-index.js';
import { parseScopeName } from '../index-repo/scope-owners.js';
import type { Reporter } from '../output.js';
import { errorMessage } from '../errors.js';
import { parsePositiveIntFlag } from './flag-values.js';

interface LogFlags {
  index: string;
  limit?: string;
}

export async function logCommand(reporter: Reporter, what: unknown, flags: LogFlags): Promise<void> {
  const path = what === undefined ? undefined : String(what).includes('/') ? parsePackageName(String(what)).full : parseScopeName(String(what));
  const limit = flags.limit === undefined ? undefined : parsePositiveIntFlag('--limit', flags.limit);
  const index = await openLocalIndex(flags.index, { requireRemote: false });
  // the newest writes are on origin; an unreachable origin still leaves the local history to show
  await fetchOrigin(index).catch((error: unknown) => reporter.warn(`showing the local history: ${errorMessage(error)}`));
  const entries = await readAuditLog(index.dir, await tipCommit(index), { path, limit });
  const lines = entries.map((e) => `${e.date}  ${e.subject}  by ${whoOf(e)}`);
  reporter.result({ entries }, entries.length === 0 ? 'no writes found' : lines.join('\n'));
}
