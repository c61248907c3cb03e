/**
 * An immutable map bounded to `capacity` entries that evicts the least recently written one and counts
 * evictions. Kept in a `Ref`: every operation returns a new map, so updates compose atomically.
 * Writes and evictions are O(log n) (a sorted index of write order beside the hash map).
 *
 * @internal
 */
import * as HashMap from "effect/HashMap"
import * as Num from "effect/Number"
import * as Option from "effect/Option"
import * as SortedMap from "effect/SortedMap"

export interface LruMap<K, V> {
  readonly capacity: number
  readonly entries: HashMap.HashMap<K, { readonly value: V; readonly touched: number }>
  /** Write sequence number → key, oldest first. */
  readonly order: SortedMap.SortedMap<number, K>
  readonly seq: number
  readonly evicted: number
}

/** An empty map holding at most `capacity` entries. */
export const empty = <K, V>(capacity: number): LruMap<K, V> => ({
  capacity,
  entries: HashMap.empty(),
  order: SortedMap.empty(Num.Order),
  seq: 0,
  evicted: 0
})

/** The value under `key`, without counting as a use. */
export const get = <K, V>(self: LruMap<K, V>, key: K): V | undefined =>
  Option.getOrUndefined(Option.map(HashMap.get(self.entries, key), (e) => e.value))

/** Writes `value` under `key`, making it the most recent entry, and evicts the oldest beyond capacity. */
export const set = <K, V>(self: LruMap<K, V>, key: K, value: V): LruMap<K, V> => {
  const previous = HashMap.get(self.entries, key)
  let order = Option.isSome(previous) ? SortedMap.remove(self.order, previous.value.touched) : self.order
  let entries = HashMap.set(self.entries, key, { value, touched: self.seq })
  order = SortedMap.set(order, self.seq, key)
  let evicted = self.evicted
  while (HashMap.size(entries) > self.capacity) {
    const oldest = SortedMap.headOption(order)
    if (Option.isNone(oldest)) break
    const [touched, oldestKey] = oldest.value
    order = SortedMap.remove(order, touched)
    entries = HashMap.remove(entries, oldestKey)
    evicted++
  }
  return { capacity: self.capacity, entries, order, seq: self.seq + 1, evicted }
}

/** Replaces the value under `key` in place (no change of recency); no-op when absent. */
export const replace = <K, V>(self: LruMap<K, V>, key: K, f: (value: V) => V): LruMap<K, V> => {
  const previous = HashMap.get(self.entries, key)
  if (Option.isNone(previous)) return self
  return {
    ...self,
    entries: HashMap.set(self.entries, key, { value: f(previous.value.value), touched: previous.value.touched })
  }
}

/** Number of entries. */
export const size = <K, V>(self: LruMap<K, V>): number => HashMap.size(self.entries)

/** The values, most recently written first. */
export const values = <K, V>(self: LruMap<K, V>): ReadonlyArray<V> => {
  const result: Array<V> = []
  for (const key of SortedMap.values(self.order)) {
    const entry = HashMap.get(self.entries, key)
    if (Option.isSome(entry)) result.push(entry.value.value)
  }
  return result.reverse()
}
