/// A box for state that is not `Sendable`, bound to one ``EventLoop``: it may be passed to any
/// thread, but its value may only be read or changed on that loop's thread.
///
/// This is how the layers above keep scheduler state (dictionaries of jobs, counters) without
/// locks: the state lives in a `LoopBound`, every access happens in loop callbacks, and other
/// threads hop to the loop with ``EventLoop/execute(_:)``:
///
/// ```swift
/// let running = LoopBound([JobID: Job](), loop: loop)
/// try loop.execute { running.value[id] = job }   // on the loop thread: allowed
/// ```
///
/// Every access checks ``EventLoop/preconditionInLoop(file:line:)`` (a thread-id comparison,
/// kept in release builds), so a mistake traps at once instead of racing silently.
/// A class rather than a struct (unlike swift-nio's `NIOLoopBound`) so that loop callbacks
/// can mutate the shared value in place.
public final class LoopBound<Value>: @unchecked Sendable {  // safe: `storage` is only accessed on `loop`'s thread, checked on every access by preconditionInLoop()
    /// The loop whose thread may touch the value.
    public let loop: EventLoop

    private var storage: Value

    /// Binds `value` to `loop`. Callable from any thread: `value` is `sending`, so the caller
    /// keeps no other reference to it and the loop thread becomes its only user.
    public init(_ value: sending Value, loop: EventLoop) {
        self.loop = loop
        storage = value
    }

    /// The value. Loop thread only (traps elsewhere). Mutated in place, without copying.
    public var value: Value {
        get {
            loop.preconditionInLoop()
            return storage
        }
        _modify {
            loop.preconditionInLoop()
            yield &storage
        }
    }
}
