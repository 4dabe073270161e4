/**
 * Which backend to use, from command-line flags and the environment variables the official
 * registry reads (protocol section 8), and turning that choice into a live Storage.
 */
import { usageError } from '../errors.js';
import { FsStorage } from './fs-storage.js';
import type { S3ClientTuning } from './s3-client.js';
import type { Storage } from './storage.js';

export type { S3ClientTuning } from './s3-client.js';

export interface StorageFlags {
  storageRoot?: string;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3AccessKey?: string;
  s3SecretKey?: string;
}

export interface FsStorageOptions {
  kind: 'fs';
  root: string;
}

export interface S3StorageConnection {
  kind: 's3';
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export type StorageOptions = FsStorageOptions | S3StorageConnection;

type S3Field = Exclude<keyof S3StorageConnection, 'kind'>;

const S3_SETTINGS: ReadonlyArray<{
  field: S3Field;
  what: string;
  flag: keyof StorageFlags;
  option: string;
  env: string;
}> = [
  { field: 'endpoint', what: 'endpoint', flag: 's3Endpoint', option: '--s3-endpoint', env: 'S3_ENDPOINT' },
  { field: 'bucket', what: 'bucket', flag: 's3Bucket', option: '--s3-bucket', env: 'S3_BUCKET_NAME' },
  { field: 'region', what: 'region', flag: 's3Region', option: '--s3-region', env: 'S3_REGION' },
  { field: 'accessKeyId', what: 'access key', flag: 's3AccessKey', option: '--s3-access-key', env: 'S3_ACCESS_KEY' },
  { field: 'secretAccessKey', what: 'secret key', flag: 's3SecretKey', option: '--s3-secret-key', env: 'S3_SECRET_KEY' },
];

const FS_OPTION = '--storage-root';
const FS_ENV = 'FS_STORAGE_ROOT';

/**
 * Flags win over the environment. A backend chosen by any flag is the one used, so a
 * one-off `--storage-root` works in a shell that exports S3 settings; S3 settings may still
 * be completed from the environment. null when nothing names a backend.
 */
export function resolveStorageOptions(
  flags: StorageFlags,
  env: Readonly<Record<string, string | undefined>>,
): StorageOptions | null {
  const flagS3 = S3_SETTINGS.filter((s) => isSet(flags[s.flag])).map((s) => s.option);
  const envS3 = S3_SETTINGS.filter((s) => isSet(env[s.env])).map((s) => s.env);
  const flagRoot = flags.storageRoot;
  const envRoot = env[FS_ENV];

  if (isSet(flagRoot) && flagS3.length > 0) {
    throw bothBackends(FS_OPTION, flagS3);
  }
  if (isSet(flagRoot)) return { kind: 'fs', root: flagRoot };
  if (flagS3.length === 0) {
    if (isSet(envRoot) && envS3.length > 0) throw bothBackends(FS_ENV, envS3);
    if (isSet(envRoot)) return { kind: 'fs', root: envRoot };
    if (envS3.length === 0) return null;
  }

  const values: Partial<Record<S3Field, string>> = {};
  const missing: string[] = [];
  for (const setting of S3_SETTINGS) {
    const value = firstSet(flags[setting.flag], env[setting.env]);
    if (value === undefined) missing.push(`the ${setting.what} (${setting.option} or ${setting.env})`);
    else values[setting.field] = value;
  }
  if (missing.length > 0) {
    throw usageError(`S3 storage is missing ${joinList(missing)}`);
  }
  const connection = { kind: 's3', ...values } as S3StorageConnection;
  assertHttpUrl(connection.endpoint);
  return connection;
}

/**
 * The AWS SDK is loaded only when S3 is used: importing it costs more than a whole
 * file-system publish, so the fs path never pays for it.
 */
export async function openStorage(options: StorageOptions, tuning: S3ClientTuning = {}): Promise<Storage> {
  if (options.kind === 'fs') return new FsStorage(options.root);
  const [{ S3Storage }, { createS3Client }] = await Promise.all([import('./s3-storage.js'), import('./s3-client.js')]);
  return new S3Storage({
    client: createS3Client(options, tuning),
    bucket: options.bucket,
    endpoint: options.endpoint,
  });
}

function bothBackends(fsSetting: string, s3Settings: string[]) {
  return usageError(
    `choose one storage backend: ${fsSetting} selects the file system but ${joinList(s3Settings)} ` +
      `${s3Settings.length === 1 ? 'selects' : 'select'} S3`,
  );
}

function assertHttpUrl(endpoint: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') {
    throw usageError(
      `S3 endpoint ${JSON.stringify(endpoint)} (--s3-endpoint or S3_ENDPOINT) is not an http(s) URL`,
    );
  }
}

function isSet(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function firstSet(...values: Array<string | undefined>): string | undefined {
  return values.find(isSet);
}

function joinList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** One wording, wherever a command needs storage and has none. */
export const NO_STORAGE_CONFIGURED = 'no storage configured: pass --storage-root <dir> or the --s3-* flags, or set FS_STORAGE_ROOT or S3_ENDPOINT, S3_BUCKET_NAME, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY';
