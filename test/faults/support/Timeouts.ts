/**
 * The per-test timeout of the fault suites. Their scenarios are CPU-bound — 75,000 events through real
 * HTTP and a real folder, a 1,000,000-event burst, 10,000 hostile inputs — and take 3–17 s on a quiet
 * 2-core machine, but up to eight times that while other suites share the cores (measured under a load
 * average of 12). No assertion depends on their speed; the timeout only catches a hang, and the rigs catch
 * a stuck step sooner and with a better message (`Loopback`'s stall deadline, `Child`'s per-phase deadline).
 */
export const faultTestTimeout = 240_000
