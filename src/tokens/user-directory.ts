/**
 * Users are not stored on their own: a user is the name and publisher id their tokens carry,
 * and the first token ever created for a name or an id binds the two for good (revoked
 * tokens included, so an id that held scopes is never handed to somebody else).
 */
import { RegistryError } from '../errors.js';
import type { TokenRecord } from './token-record.js';

export class UserDirectory {
  private readonly idsByName = new Map<string, number>();
  private readonly namesById = new Map<number, string>();

  /** `records` oldest first */
  constructor(records: readonly TokenRecord[]) {
    for (const record of records) {
      if (!this.idsByName.has(record.user) && !this.namesById.has(record.userId)) {
        this.idsByName.set(record.user, record.userId);
        this.namesById.set(record.userId, record.user);
      }
    }
  }

  static conflicts(a: TokenRecord, b: TokenRecord): boolean {
    return (a.userId === b.userId) !== (a.user === b.user);
  }

  nameOf(userId: number): string | undefined {
    return this.namesById.get(userId);
  }

  idOf(name: string): number | undefined {
    return this.idsByName.get(name);
  }

  users(): Array<{ user: string; userId: number }> {
    return [...this.idsByName].map(([user, userId]) => ({ user, userId })).sort((a, b) => a.userId - b.userId);
  }

  /** The id a new token for `name` gets: the requested one if it is free or already theirs. */
  idFor(name: string, requested: number | undefined): number {
    const existing = this.idsByName.get(name);
    if (requested === undefined) return existing ?? this.nextFreeId();
    const holder = this.namesById.get(requested);
    if (holder !== undefined && holder !== name) {
      throw new RegistryError('conflict', `user id ${requested} belongs to "${holder}", not "${name}": choose another --id, or use --user ${holder}`);
    }
    if (existing !== undefined && existing !== requested) {
      throw new RegistryError('conflict', `user "${name}" has id ${existing}, not ${requested}: leave out --id, or choose another user name`);
    }
    return requested;
  }

  /** Ids start at 1: 0 is the publisher id of shared tokens and of registries without auth. */
  private nextFreeId(): number {
    let max = 0;
    for (const id of this.namesById.keys()) max = Math.max(max, id);
    return max + 1;
  }
}
