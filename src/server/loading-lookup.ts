/**
 * Package reads while the first full load of the index runs. A first start of a large index
 * streams every file through cat-file to build the summaries (seconds on 50,000 packages);
 * a client fetching one package need not wait for that. Its file is read by path at the
 * commit being loaded, through a cat-file of its own (the load's is busy with the stream),
 * summarised and parsed as a read after the load would be. So the answer is the same bytes
 * the loaded state gives, for the same commit.
 *
 * Nothing is kept here: a read in progress is shared by the requests that ask for it at the
 * same time, parsed packages go to the store's bounded cache, and repeated URLs are answered
 * from the app's answer cache. So what clients ask for during the load cannot grow memory.
 */
import { packageFilePath } from '../index-repo/index-layout.js';
import { parsePackageName } from '../index-repo/names.js';
import { summariseBlob } from './blob-summary.js';
import type { PackageRecord } from './package-record.js';
import type { PackageStore } from './package-store.js';

export class LoadingLookup {
  private readonly reading = new Map<string, Promise<PackageRecord | null>>();

  constructor(
    private readonly store: PackageStore,
    private readonly commit: string,
  ) {}

  /** The parsed package at the commit; null when there is no file by that name or it is not served (as the loaded state would say). */
  record(id: string): Promise<PackageRecord | null> {
    let reading = this.reading.get(id);
    if (reading === undefined) {
      reading = this.read(id).finally(() => this.reading.delete(id));
      this.reading.set(id, reading);
    }
    return reading;
  }

  private async read(id: string): Promise<PackageRecord | null> {
    const name = parsePackageName(id);
    const path = packageFilePath(name);
    // the one read of the request, asked at once: a state closed after this still answers it
    const object = await this.store.readObject(`${this.commit}:${path}`);
    if (object === null || object.type !== 'blob') return null;
    let summary;
    try {
      summary = await summariseBlob(name, object.oid, object.body, path);
    } catch {
      // the load skips this file and says why; the loaded state answers it as absent
      return null;
    }
    return this.store.recordOf(summary, object.body);
  }
}
