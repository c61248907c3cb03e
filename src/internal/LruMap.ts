/**
 * An immutable map bounded to `capacity` entries that evicts the least recently written one and counts
 * evictions. Kept in a `Ref`: every operation returns a new map, so updates compose atomically.
 *
 * Reads and writes are O(1) (amortised) for the newest version: the entries are one mutable `Map` that
 * every version shares (see `Node`), and the write order a log of `[seq, key]` writes, oldest first, where
 * a rewritten key leaves a stale record behind (skipped, and dropped when the log is compacted). The log's
 * array is shared too: a version appends in place only when it owns the array's end, so no version ever
 * sees a change to its own part; any other version copies first. (A hash map beside a sorted index
 * measured ~15–30 µs per error capture at 1,000 entries, most of its grouping.)
 *
 * @internal
 */

/** One write: its sequence number and key. */
type Write<K> = readonly [seq: number, key: K]

/** What is kept per key: the value and the sequence number of its last write. */
interface Entry<V> {
  readonly value: V
  readonly touched: number
}

/**
 * A version of the entries. The newest holds the one mutable `Map` (`map`); every other is an undo record
 * (`key` had `entry`, absent when `undefined`) leading, through `next`, to it. Reading an older version first
 * moves the `Map` to it by undoing and inverting the records on the way (Baker's persistent arrays): O(1)
 * for the newest version, which is the only one a `Ref` ever reads.
 */
interface Node<K, V> {
  map: Map<K, Entry<V>> | undefined
  key: K | undefined
  entry: Entry<V> | undefined
  next: Node<K, V> | undefined
}

/** The `Map` of `node`'s version, moved there first when another version holds it. */
const reroot = <K, V>(node: Node<K, V>): Map<K, Entry<V>> => {
  if (node.map !== undefined) return node.map
  const path: Array<Node<K, V>> = []
  let current = node
  while (current.map === undefined) {
    path.push(current)
    current = current.next!
  }
  const map = current.map
  for (let i = path.length - 1; i >= 0; i--) {
    const undo = path[i]!
    const key = undo.key as K
    current.map = undefined
    current.key = key
    current.entry = map.get(key)
    current.next = undo
    if (undo.entry === undefined) map.delete(key)
    else map.set(key, undo.entry)
    undo.map = map
    undo.key = undefined
    undo.entry = undefined
    undo.next = undefined
    current = undo
  }
  return map
}

/** The entries after one more change to those of `node`: `node` becomes the record undoing it. */
const change = <K, V>(node: Node<K, V>, key: K, entry: Entry<V> | undefined): Node<K, V> => {
  const map = reroot(node)
  const newest: Node<K, V> = { map, key: undefined, entry: undefined, next: undefined }
  node.map = undefined
  node.key = key
  node.entry = map.get(key)
  node.next = newest
  if (entry === undefined) map.delete(key)
  else map.set(key, entry)
  return newest
}

export interface LruMap<K, V> {
  readonly capacity: number
  readonly entries: Node<K, V>
  readonly size: number
  /** The writes, oldest first, in `log[start, end)`; `log` may be longer, holding later versions' writes. */
  readonly log: Array<Write<K>>
  readonly start: number
  readonly end: number
  readonly seq: number
  readonly evicted: number
}

/** An empty map holding at most `capacity` entries. */
export const empty = <K, V>(capacity: number): LruMap<K, V> => ({
  capacity,
  entries: { map: new Map(), key: undefined, entry: undefined, next: undefined },
  size: 0,
  log: [],
  start: 0,
  end: 0,
  seq: 0,
  evicted: 0
})

/** The value under `key`, without counting as a use. */
export const get = <K, V>(self: LruMap<K, V>, key: K): V | undefined => reroot(self.entries).get(key)?.value

const isLive = <K, V>(map: Map<K, Entry<V>>, write: Write<K>): boolean => map.get(write[1])?.touched === write[0]

/**
 * Whether the log's array holds so many stale or evicted writes that copying its live ones is due: after
 * at least `live + 32` writes since the last copy, so amortised O(1) a write.
 */
const compactionDue = (live: number, length: number): boolean => length > 2 * live + 32

/** The live writes of `log[start, end)`, in order, in a new array. */
const liveWrites = <K, V>(self: LruMap<K, V>, map: Map<K, Entry<V>>): Array<Write<K>> => {
  const live: Array<Write<K>> = []
  for (let i = self.start; i < self.end; i++) if (isLive(map, self.log[i]!)) live.push(self.log[i]!)
  return live
}

/** Writes `value` under `key`, making it the most recent entry, and evicts the oldest beyond capacity. */
export const set = <K, V>(self: LruMap<K, V>, key: K, value: V): LruMap<K, V> => {
  const existed = reroot(self.entries).has(key)
  let entries = change(self.entries, key, { value, touched: self.seq })
  const map = entries.map!
  let size = existed ? self.size : self.size + 1
  let log = self.log
  let start = self.start
  let end = self.end
  // Appending in place is safe only at the array's end: no other version has written past ours.
  if (end !== log.length || compactionDue(size, end)) {
    log = liveWrites(self, map)
    start = 0
    end = log.length
  }
  log.push([self.seq, key])
  end++
  let evicted = self.evicted
  while (size > self.capacity && start < end) {
    const oldest = log[start++]!
    if (!isLive(map, oldest)) continue
    entries = change(entries, oldest[1], undefined)
    size--
    evicted++
  }
  return { capacity: self.capacity, entries, size, log, start, end, seq: self.seq + 1, evicted }
}

/** Replaces the value under `key` in place (no change of recency); no-op when absent. */
export const replace = <K, V>(self: LruMap<K, V>, key: K, f: (value: V) => V): LruMap<K, V> => {
  const previous = reroot(self.entries).get(key)
  if (previous === undefined) return self
  return { ...self, entries: change(self.entries, key, { value: f(previous.value), touched: previous.touched }) }
}

/** Number of entries. */
export const size = <K, V>(self: LruMap<K, V>): number => self.size

/** The values, most recently written first. */
export const values = <K, V>(self: LruMap<K, V>): ReadonlyArray<V> => {
  const map = reroot(self.entries)
  const result: Array<V> = []
  for (let i = self.end - 1; i >= self.start; i--) {
    const [touched, key] = self.log[i]!
    const entry = map.get(key)
    if (entry !== undefined && entry.touched === touched) result.push(entry.value)
  }
  return result
}
