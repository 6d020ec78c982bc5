import AsyncTopRuntime
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
        summary: "40 tasks queue behind one actor while the pool idles; sharding the state over four actors frees it",
        narrative: [
            "Every 100 ms, 40 'deposit' tasks each record 5 entries of 0.3 ms work. An actor runs one call at a time, so for 10 s, with one ledger actor, all 200 calls queue behind it.",
            "View 1: the pool's jobs are 'actor drain' runs, one thread near 100% busy and the other idle, the run queue and delay up. View 2: deposits sit ready, many polls each.",
            "For the next 10 s the entries go to four ledgers (by task): drains run on every pool thread at once and deposits finish sooner. Keep an actor's critical sections short, or shard its state.",
        ],
        loops: 1, usesGlobalExecutor: true,
        start: { context in
            let single = Ledger()
            let shards = (0..<4).map { _ in Ledger() }
            let rounds = Atomic<Int>(0)
            context.every(.milliseconds(100), on: context.loop) {
                let sharded = !(rounds.wrappingAdd(1, ordering: .relaxed).oldValue / 100).isMultiple(of: 2)
                for index in 0..<40 {
                    let ledger = sharded ? shards[index % shards.count] : single
                    Task(name: sharded ? "deposit (4 ledgers)" : "deposit (1 ledger)") {
                        for amount in 1...5 { await ledger.record(amount) }
                    }
                }
            }
            context.every(.seconds(10), on: context.loop) {
                let sharded = !(rounds.load(ordering: .relaxed) / 100).isMultiple(of: 2)
                context.say(sharded ? "deposits now spread over 4 ledgers" : "deposits all go to 1 ledger")
            }
        })
}
