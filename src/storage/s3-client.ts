import { S3Client } from '@aws-sdk/client-s3';
import type { S3StorageConnection } from './storage-options.js';

/** How hard to try before an S3 request fails: a down store should fail in seconds. */
export interface S3ClientTuning {
  /** including the first one */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  /**
   * How long a connection may sit idle mid-request, bounding a server that stops answering.
   * It also covers a streamed body, so a proxied download whose reader stalls this long fails.
   */
  socketTimeoutMs?: number;
}

export const DEFAULT_S3_TUNING: Required<S3ClientTuning> = {
  maxAttempts: 3,
  connectionTimeoutMs: 3_000,
  socketTimeoutMs: 20_000,
};

export function createS3Client(
  connection: Omit<S3StorageConnection, 'kind'>,
  tuning: S3ClientTuning = {},
): S3Client {
  const { maxAttempts, connectionTimeoutMs, socketTimeoutMs } = { ...DEFAULT_S3_TUNING, ...tuning };
  // Node 20 is a supported runtime here; the SDK's notice about its own future Node
  // requirement would otherwise land in the middle of the CLI's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    endpoint: connection.endpoint,
    region: connection.region,
    credentials: {
      accessKeyId: connection.accessKeyId,
      secretAccessKey: connection.secretAccessKey,
    },
    // What the official registry uses, and what S3-compatible stores (MinIO, R2,
    // Garage, s3rver) support without DNS set up per bucket.
    forcePathStyle: true,
    // The default CRC checksums of recent SDKs are rejected or mishandled by several
    // S3-compatible stores, and a checksum mode on GET would leak into pre-signed URLs.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts,
    requestHandler: { connectionTimeout: connectionTimeoutMs, socketTimeout: socketTimeoutMs },
  });
}

