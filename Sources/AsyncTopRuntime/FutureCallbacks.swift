/// The callbacks waiting on one future, in the order they were added. Each is a closure that reads the future's
/// result itself, so the list is not generic: running it, and releasing a future, needs no generic type metadata
/// at run time (which unspecialized code looks up in a hash table on every use). The first callback is stored
/// inline, more go to an array. Loop thread only.
@usableFromInline
struct FutureCallbacks {
    @usableFromInline var first: (@Sendable () -> Void)?
    @usableFromInline var more: [@Sendable () -> Void] = []

    @inlinable
    init() {}

    @inlinable
    var isEmpty: Bool { first == nil }

    @inlinable
    mutating func append(_ callback: @escaping @Sendable () -> Void) {
        if first == nil {
            first = callback
        } else {
            more.append(callback)
        }
    }

    /// Runs the callbacks in order.
    @usableFromInline
    func run() {
        first?()
        for callback in more {
            callback()
        }
    }
}
