// LoopSignalProbe: the child process of LoopTests' signal test (SignalTests.swift).
//
// It does what a real program using the loop must do: block SIGTERM/SIGINT first thing in
// `main`, before any thread exists, so that every thread inherits the mask and a
// process-directed signal can only be taken by the loop's signalfd. Then it sends itself
// SIGINT before any handler exists (the signal must stay pending for the first handler) and
// SIGTERM after, and exits 0 only if the handler saw exactly [SIGINT, SIGTERM], in that order.
// A missing block would show as death by the signal (wait status 2 or 15). Its one argument
// names the loop's backend: `epoll` or `io_uring`.

import Glibc
import Loop
import Synchronization

EventLoop.blockTerminationSignals()

let backend: EventLoop.Backend = switch CommandLine.arguments.dropFirst().first {
case "epoll": .epoll
case "io_uring": .ioUring
default: fatalError("usage: LoopSignalProbe epoll|io_uring")
}
let loop = try EventLoop.startThread(name: "signal-probe", backend: backend)
guard loop.backend == backend else { fatalError("asked for \(backend), got \(loop.backend)") }
let received = Mutex<[Int32]>([])

guard kill(getpid(), SIGINT) == 0 else { fatalError("kill(SIGINT) failed: \(errno)") }
loop.onSignal { signal in
    let all = received.withLock { received in
        received.append(signal)
        return received
    }
    if signal == SIGINT {
        guard kill(getpid(), SIGTERM) == 0 else { fatalError("kill(SIGTERM) failed: \(errno)") }
    }
    if all.count == 2 {
        loop.stop()
    }
}

let stopped = loop.waitUntilStopped(timeout: .seconds(10))
let signals = received.withLock { $0 }
print("received \(signals), stopped: \(stopped)")
exit(stopped && signals == [SIGINT, SIGTERM] ? 0 : 1)
