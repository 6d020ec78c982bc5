/// What `asynctop events` says on standard error when it ends: `events=N missed=M before=B (reason)`. Events it
/// printed, events it missed (the producer lapped it), and events written before it attached (never counted as
/// missed). For the tests and benchmarks that check that every event is accounted for.
public struct EventsReaderCounts: Equatable, Sendable {
    public var events: UInt64
    public var missed: UInt64
    public var before: UInt64

    /// The counts in `stderr`'s last line that has all three; nil if none has.
    public init?(stderr: String) {
        for line in stderr.split(separator: "\n").reversed() {
            var counts: [Substring: UInt64] = [:]
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=")
                if parts.count == 2, let value = UInt64(parts[1]) { counts[parts[0]] = value }
            }
            if let events = counts["events"], let missed = counts["missed"], let before = counts["before"] {
                (self.events, self.missed, self.before) = (events, missed, before)
                return
            }
        }
        return nil
    }
}
