/**
 * A storage named in one flag value, for commands that talk to two stores at once
 * (`storage copy --from … --to …`):
 *
 *   fs:<dir>                                   a file-system root (a bare path works too)
 *   s3://<bucket>?endpoint=<url>&region=<r>    an S3 bucket
 *
 * Keys never go in the value (it lands in shell history and `ps`): they come from
 * <SIDE>_S3_ACCESS_KEY / <SIDE>_S3_SECRET_KEY (SIDE is FROM or TO), else S3_ACCESS_KEY /
 * S3_SECRET_KEY. A missing endpoint or region is taken from <SIDE>_S3_ENDPOINT / S3_ENDPOINT
 * and <SIDE>_S3_REGION / S3_REGION.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import type { S3StorageConnection, StorageOptions } from './storage-options.js';

type Env = Readonly<Record<string, string | undefined>>;

const S3_QUERY_KEYS = new Set(['endpoint', 'region']);

export function parseStorageSpec(flag: string, spec: string, env: Env, cwd = process.cwd()): StorageOptions {
  const side = flag.replace(/^-+/, '').toUpperCase();
  if (spec.startsWith('s3://')) return parseS3Spec(flag, side, spec, env);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw usageError(`${flag}: only fs:<dir> and s3://<bucket>?endpoint=<url>&region=<region> are understood, not ${spec.slice(0, spec.indexOf(':'))}://`);
  }
  const dir = spec.startsWith('fs:') ? spec.slice(3) : spec;
  if (dir === '') throw usageError(`${flag}: fs: needs a folder, e.g. fs:/srv/pesde-storage`);
  return { kind: 'fs', root: path.resolve(cwd, dir) };
}

function parseS3Spec(flag: string, side: string, spec: string, env: Env): S3StorageConnection {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw usageError(`${flag}: not a valid s3://<bucket>?endpoint=<url>&region=<region> value`);
  }
  // the message names neither part: either could be a secret
  if (url.username !== '' || url.password !== '') {
    throw usageError(`${flag}: put no keys in the value; set ${side}_S3_ACCESS_KEY and ${side}_S3_SECRET_KEY (or S3_ACCESS_KEY and S3_SECRET_KEY)`);
  }
  const bucket = url.hostname;
  if (bucket === '' || (url.pathname !== '' && url.pathname !== '/')) {
    throw usageError(`${flag}: name just a bucket, as s3://<bucket>?endpoint=<url>&region=<region>`);
  }
  for (const key of url.searchParams.keys()) {
    if (!S3_QUERY_KEYS.has(key)) throw usageError(`${flag}: unknown setting "${key}" (endpoint and region are understood)`);
  }
  const pick = (query: string, name: string) => nonEmpty(url.searchParams.get(query)) ?? nonEmpty(env[`${side}_S3_${name}`]) ?? nonEmpty(env[`S3_${name}`]);
  const endpoint = pick('endpoint', 'ENDPOINT');
  const region = pick('region', 'REGION');
  const accessKeyId = nonEmpty(env[`${side}_S3_ACCESS_KEY`]) ?? nonEmpty(env.S3_ACCESS_KEY);
  const secretAccessKey = nonEmpty(env[`${side}_S3_SECRET_KEY`]) ?? nonEmpty(env.S3_SECRET_KEY);
  const missing = [
    endpoint === undefined && `the endpoint (?endpoint= or ${side}_S3_ENDPOINT)`,
    region === undefined && `the region (&region= or ${side}_S3_REGION)`,
    accessKeyId === undefined && `the access key (${side}_S3_ACCESS_KEY or S3_ACCESS_KEY)`,
    secretAccessKey === undefined && `the secret key (${side}_S3_SECRET_KEY or S3_SECRET_KEY)`,
  ].filter((m): m is string => typeof m === 'string');
  if (missing.length > 0) throw usageError(`${flag}: S3 storage is missing ${missing.join(', ')}`);
  let endpointUrl: URL | undefined;
  try {
    endpointUrl = new URL(endpoint!);
  } catch {
    endpointUrl = undefined;
  }
  if ((endpointUrl?.protocol !== 'http:' && endpointUrl?.protocol !== 'https:') || endpointUrl.username !== '' || endpointUrl.password !== '') {
    throw usageError(`${flag}: the endpoint is not an http(s) URL without credentials`);
  }
  return { kind: 's3', endpoint: endpoint!, bucket, region: region!, accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! };
}

/**
 * Whether two stores overlap: the same bucket at the same endpoint, or file-system roots
 * where one is (inside) the other, so copying would read what it writes.
 */
export async function storagesOverlap(a: StorageOptions, b: StorageOptions): Promise<boolean> {
  if (a.kind === 's3' && b.kind === 's3') return endpointId(a.endpoint) === endpointId(b.endpoint) && a.bucket === b.bucket;
  if (a.kind === 'fs' && b.kind === 'fs') {
    const [ra, rb] = await Promise.all([realRoot(a.root), realRoot(b.root)]);
    return ra === rb || ra.startsWith(rb + path.sep) || rb.startsWith(ra + path.sep);
  }
  return false;
}

function endpointId(endpoint: string): string {
  const url = new URL(endpoint);
  return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, '')}`;
}

/** The real path of the deepest existing ancestor, with the rest appended: roots may not exist yet. */
async function realRoot(root: string): Promise<string> {
  const rest: string[] = [];
  let dir = path.resolve(root);
  for (;;) {
    try {
      return path.join(await realpath(dir), ...rest.reverse());
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return path.resolve(root);
      rest.push(path.basename(dir));
      dir = parent;
    }
  }
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}
