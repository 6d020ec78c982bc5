/// How a repeating timer picks its next deadline.
public enum RepeatMode: Sendable, Hashable {
    /// Deadlines at start + n × period, whatever the callback costs: the rate is kept. Fires missed while the
    /// loop was busy run late, back to back; those that fell due while step mode held the loop are skipped (the
    /// next deadline is the first of start + n × period after the loop is let go).
    case fixedRate
    /// The next deadline is one period after the previous callback returned: the gap is kept.
    case fixedDelay
}
