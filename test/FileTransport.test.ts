import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Cause, Effect, Exit, Layer } from "effect"
import { Transport } from "../src/transports/Transport.js"
import { event } from "./support/Events.js"


describe("FileTransport", () => {
  it.effect("a batch holding an event JSON cannot write fails with encode, appending none of the batch", () =>
    Effect.gen(function*() {
      const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-file-")), "events.ndjson")
      const transport = yield* Transport.makeFile(file)
      yield* transport.send({ batchId: "b-1", events: [event("e1")] })

      const bad = { batchId: "b-2", events: [event("e2"), event("e3", { n: 1n } as never)] }
      const exit = yield* Effect.exit(transport.send(bad))
      expect(Exit.isFailure(exit) && !Cause.isDie(exit.cause), String(exit)).toBe(true)
      expect(yield* Effect.flip(exit)).toMatchObject({ reason: "encode", retryable: false })
      expect((yield* Effect.flip(exit)).message).toContain("cannot encode batch b-2: event e3: TypeError")
      expect(Fs.readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line).id)).toEqual(["e1"])
    }).pipe(Effect.provide(NodeContext.layer)))

  it.scoped("Transport.file({ path }) appends to that file, creating its folder", () =>
    Effect.gen(function*() {
      const path = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-telemetry-file-")), "nested", "events.ndjson")
      const transport = yield* Effect.provide(Transport, Transport.file({ path }).pipe(Layer.provide(NodeContext.layer)))
      yield* transport.send({ batchId: "b-1", events: [event("e1"), event("e2")] })
      yield* transport.send({ batchId: "b-2", events: [event("e3")] })
      expect(Fs.readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line).id)).toEqual(["e1", "e2", "e3"])
    }))
})
