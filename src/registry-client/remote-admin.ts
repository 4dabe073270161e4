/**
 * `yank`, `unyank`, `deprecate`, `undeprecate` with `--registry`: the registry's own
 * PUT/DELETE routes. A 409 ("nothing would change") to a retried request means the first
 * attempt landed, so it is reported as done; to a first attempt it is exit 4, as locally.
 */
import { RegistryError } from '../errors.js';
import type { Reporter } from '../output.js';
import { clientFromFlags, type RegistryFlags } from './cli-client.js';
import { refusal } from './registry-client.js';

export async function yankThroughRegistry(reporter: Reporter, args: { name: string; version: string; target: string; yanked: boolean }, flags: RegistryFlags): Promise<void> {
  const path = `/v1/packages/${encodeURIComponent(args.name)}/${encodeURIComponent(args.version)}/${encodeURIComponent(args.target)}/yank`;
  const what = `${args.name}@${args.version} ${args.target}`;
  await change(reporter, flags, args.yanked ? 'PUT' : 'DELETE', path, undefined, `${args.yanked ? 'yank' : 'unyank'} ${what}`);
}

export async function deprecateThroughRegistry(reporter: Reporter, args: { name: string; reason: string }, flags: RegistryFlags): Promise<void> {
  const path = `/v1/packages/${encodeURIComponent(args.name)}/deprecate`;
  const deprecating = args.reason !== '';
  await change(reporter, flags, deprecating ? 'PUT' : 'DELETE', path, deprecating ? Buffer.from(args.reason, 'utf8') : undefined, `${deprecating ? 'deprecate' : 'undeprecate'} ${args.name}`);
}

async function change(reporter: Reporter, flags: RegistryFlags, method: string, path: string, body: Buffer | undefined, what: string): Promise<void> {
  const client = await clientFromFlags(reporter, flags);
  reporter.step(`Asking ${client.base} to ${what}`);
  const result = await client.send(method, path, body, body === undefined ? undefined : 'text/plain; charset=utf-8');
  const data = { summary: what, registry: client.base, attempts: result.attempts };
  if (result.status === 200) {
    reporter.result({ ...data, alreadyDone: false, answer: result.text.trim() }, `${result.text.trim() || what} (through ${client.base})`);
    return;
  }
  if (result.status === 409 && result.attempts > 1) {
    reporter.result({ ...data, alreadyDone: true }, `${what}: already done (an earlier attempt landed)`);
    return;
  }
  const error = refusal(result, what);
  if (result.status === 409) throw new RegistryError('conflict', `${what}: nothing would change on ${client.base}`, { details: error.details });
  throw error;
}
