/**
 * A real S3 API for tests: s3rver on 127.0.0.1, a free port, its own temp directory and
 * one bucket. stop() and restart() simulate an outage; the data survives them.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { createS3Client, type S3ClientTuning } from '../../src/storage/s3-client.js';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** the settings as `pesde-registry` reads them from the environment */
  env: Record<string, string>;
  /** built like the registry builds its own (openStorage), with the tuning given */
  client: S3Client;
  /** where s3rver keeps the bucket */
  directory: string;
  /** Stops the server and closes every open connection; the port is free afterwards. */
  stop(): Promise<void>;
  /** Starts again on the same port with the same data. */
  restart(): Promise<void>;
  /** stop(), destroy the client and delete the data. */
  dispose(): Promise<void>;
}

export interface StartS3Options {
  bucket?: string;
  /** defaults to FAST_TEST_TUNING */
  tuning?: S3ClientTuning;
}

/** A down server fails in well under a second: connections are refused, not timed out. */
export const FAST_TEST_TUNING: S3ClientTuning = {
  maxAttempts: 2,
  connectionTimeoutMs: 1_000,
  socketTimeoutMs: 5_000,
};

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverInstance;

// s3rver ships no type declarations; require() keeps the untyped import in one place.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;

// s3rver's built-in account: it checks the access key id but not v4 signatures.
const ACCESS_KEY = 'S3RVER';
const SECRET_KEY = 'S3RVER';
const REGION = 'us-east-1';

export async function startS3(options: StartS3Options = {}): Promise<TestS3> {
  const bucket = options.bucket ?? 'pesde-test';
  const directory = await mkdtemp(path.join(tmpdir(), 'pesde-s3rver-'));
  const removeDirectory = () => rmSync(directory, { recursive: true, force: true });
  // Tests that forget dispose() should not fill /tmp.
  process.once('exit', removeDirectory);

  let port = 0;
  let server: S3rverInstance | undefined;

  const start = async () => {
    const instance = new S3rver({
      address: '127.0.0.1',
      port,
      silent: true,
      directory,
      configureBuckets: [{ name: bucket }],
    });
    const address = await instance.run();
    port = address.port;
    server = instance;
  };

  const stop = async () => {
    const running = server;
    if (!running) return;
    server = undefined;
    const closed = running.close();
    // close() alone waits for keep-alive connections (the SDK's and fetch's) to go idle.
    running.httpServer?.closeAllConnections();
    await closed;
  };

  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  const connection = {
    endpoint,
    bucket,
    region: REGION,
    accessKeyId: ACCESS_KEY,
    secretAccessKey: SECRET_KEY,
  };
  const client = createS3Client(connection, options.tuning ?? FAST_TEST_TUNING);

  return {
    ...connection,
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET_NAME: bucket,
      S3_REGION: REGION,
      S3_ACCESS_KEY: ACCESS_KEY,
      S3_SECRET_KEY: SECRET_KEY,
    },
    client,
    directory,
    stop,
    async restart() {
      await stop();
      await start();
    },
    async dispose() {
      await stop();
      client.destroy();
      removeDirectory();
      process.off('exit', removeDirectory);
    },
  };
}
