/**
 * A FIFO of at most `capacity` items on a circular array: `push` is O(1) and evicts the oldest item
 * when full, so memory never grows past the capacity whatever the producer does.
 */
export class BoundedBuffer<A> {
  private items: Array<A | undefined> = []
  private head = 0
  private size = 0

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.size
  }

  /** Appends an item; returns the oldest item when it had to make room, else `undefined`. */
  push(item: A): A | undefined {
    if (this.size < this.capacity) {
      // grow lazily: a large capacity costs nothing until it is used
      if (this.size === this.items.length) {
        if (this.head !== 0) {
          this.items = this.toArray()
          this.head = 0
        }
        this.items.push(item)
      } else {
        this.items[(this.head + this.size) % this.items.length] = item
      }
      this.size++
      return undefined
    }
    const evicted = this.items[this.head]
    this.items[this.head] = item
    this.head = (this.head + 1) % this.items.length
    return evicted
  }

  /** Removes and returns up to `n` of the oldest items. */
  take(n: number): Array<A> {
    const count = Math.min(n, this.size)
    const out = new Array<A>(count)
    for (let i = 0; i < count; i++) {
      out[i] = this.items[this.head] as A
      this.items[this.head] = undefined
      this.head = (this.head + 1) % this.items.length
    }
    this.size -= count
    if (this.size === 0) this.head = 0
    return out
  }

  /** Removes every item matching the predicate; returns how many. */
  removeWhere(predicate: (item: A) => boolean): number {
    const all = this.take(this.size)
    const kept = all.filter((item) => !predicate(item))
    this.items = kept
    this.head = 0
    this.size = kept.length
    return all.length - kept.length
  }

  /** The items, oldest first, without removing them. */
  toArray(): Array<A> {
    const out = new Array<A>(this.size)
    for (let i = 0; i < this.size; i++) out[i] = this.items[(this.head + i) % this.items.length] as A
    return out
  }
}
