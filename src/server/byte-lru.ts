/**
 * A map that forgets its least recently used entries once the bytes they hold (as the
 * caller estimates them) pass a budget, so a cache of parsed files and rendered answers has
 * a fixed ceiling however large the index and however many distinct packages are asked for.
 *
 * Recency is kept in the map's insertion order. Moving an entry to the end on every hit
 * would cost a delete and an insert per request, so an entry moves only once it has
 * drifted into the older half: hot entries stay put, and what is evicted first is still
 * among the least recently used.
 */
interface Slot<V> {
  value: V;
  bytes: number;
  /** when it was last moved to the end, in insertions */
  moved: number;
}

export class ByteLru<V> {
  /** Map iteration order is insertion order: the first entry is the least recently used */
  private readonly slots = new Map<string, Slot<V>>();
  private total = 0;
  private clock = 0;
  /** lookups that found / did not find their key, for the metrics */
  hits = 0;
  misses = 0;

  constructor(readonly maxBytes: number) {}

  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.slots.size;
  }

  get(key: string): V | undefined {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    if (this.clock - slot.moved > this.slots.size / 2) {
      this.slots.delete(key);
      this.slots.set(key, slot);
      slot.moved = ++this.clock;
    }
    return slot.value;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    this.slots.set(key, { value, bytes, moved: ++this.clock });
    this.total += bytes;
    this.evict();
  }

  /** Adds to what an entry holds (an answer rendered from it later); nothing when it is gone. */
  grow(key: string, value: V, bytes: number): void {
    const slot = this.slots.get(key);
    if (slot === undefined || slot.value !== value) return;
    slot.bytes += bytes;
    this.total += bytes;
    this.evict();
  }

  delete(key: string): void {
    const slot = this.slots.get(key);
    if (slot === undefined) return;
    this.slots.delete(key);
    this.total -= slot.bytes;
  }

  /** The newest entry always stays, even alone over budget: it is about to be used. */
  private evict(): void {
    while (this.total > this.maxBytes && this.slots.size > 1) {
      const [key, slot] = this.slots.entries().next().value as [string, Slot<V>];
      this.slots.delete(key);
      this.total -= slot.bytes;
    }
  }
}
