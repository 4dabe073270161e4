/**
 * Another writer's push landing at one exact moment: between a push's advertisement and its
 * command. A pre-receive hook in the bare remote moves the branch from `from` to the commit at
 * LANDED_REF when the next push carrying a version claim arrives, then removes itself. It runs
 * outside git's quarantine, which forbids ref updates in pre-receive.
 */
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const LANDED_REF = 'refs/test/landed';

export async function landOnNextClaim(remote: string, from: string): Promise<void> {
  const hook = path.join(remote, 'hooks', 'pre-receive');
  await writeFile(hook, [
    '#!/bin/sh',
    'landed=',
    'while read old new ref; do',
    '  case "$ref" in refs/registry-claims/*)',
    '    if [ -z "$landed" ]; then',
    `      env -u GIT_QUARANTINE_PATH -u GIT_OBJECT_DIRECTORY -u GIT_ALTERNATE_OBJECT_DIRECTORIES git update-ref refs/heads/main "$(git rev-parse ${LANDED_REF})" ${from} || exit 1`,
    '      rm -f "$0"',
    '      landed=1',
    '    fi;;',
    '  esac',
    'done',
    '',
  ].join('\n'));
  await chmod(hook, 0o755);
}
