import AsyncTopRuntime
import AsyncTopTrace
import Synchronization

/// A ledger whose every entry takes 0.3 ms of work: an actor runs one such call at a time.
actor Ledger {
    private(set) var total = 0
    func record(_ amount: Int) {
        spin(milliseconds: 0.3)
        total += amount
    }
}

extension Demo {
    /// Many tasks calling one actor, then the same calls spread over four actors.
    public static let actorContention = Demo(
        name: "actor-contention",
        summary:
            "40 tasks queue behind one actor, one pool thread at a time; four actors let the pool work in parallel",
        narrative: [
            "Every 100 ms, 40 'deposit' tasks each record 5 entries of 0.3 ms work on a ledger actor: 60 ms of work "
                + "a round. An actor runs one call at a time, on one thread at a time.",
            "For 10 s all go to one ledger. View 1: most pool jobs are 'actor drain' runs, the run queue holds up to "
                + "40 jobs, and the counter deposits.round_ms (spawn of a round to its last deposit) reads ~60 ms: "
                + "the work is serial.",
            "For the next 10 s the entries go to four ledgers: drains of different actors run on both threads at once "
                + "and a round takes ~30 ms. Keep an actor's critical sections short, or split its state."
        ],
        loops: 1, usesGlobalExecutor: true,
        start: { context in
            let loop = context.loop
            let single = Ledger()
            let shards = (0..<4).map { _ in Ledger() }
            let rounds = Atomic<Int>(0)
            context.every(.milliseconds(100), on: loop) {
                let sharded = !(rounds.wrappingAdd(1, ordering: .relaxed).oldValue / 100).isMultiple(of: 2)
                let started = TraceClock.monotonicNanoseconds()
                let finished = Deposits()
                for index in 0..<40 {
                    let ledger = sharded ? shards[index % shards.count] : single
                    Task(name: sharded ? "deposit (4 ledgers)" : "deposit (1 ledger)") {
                        for amount in 1...5 { await ledger.record(amount) }
                        if finished.count.wrappingAdd(1, ordering: .relaxed).newValue == 40 {
                            let elapsed = (TraceClock.monotonicNanoseconds() - started) / 1_000_000
                            loop.recordCounter("deposits.round_ms", Int64(elapsed))
                        }
                    }
                }
            }
            context.every(.seconds(10), on: loop) {
                let sharded = !(rounds.load(ordering: .relaxed) / 100).isMultiple(of: 2)
                context.say(sharded ? "deposits spread over 4 ledgers" : "deposits all go to 1 ledger")
            }
        })

    /// Deposits of one round finished so far.
    private final class Deposits: Sendable {
        let count = Atomic<Int>(0)
    }
}
