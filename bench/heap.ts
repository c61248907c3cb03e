/** Heap readings for the benchmarks: a full collection first, so what is measured is what is retained. */
import * as v8 from "node:v8"
import * as vm from "node:vm"

v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

/** Bytes retained on the V8 heap and in array buffers, after two full collections. */
export const heap = (): number => {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
