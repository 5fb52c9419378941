// NIOLoopBench: perf/LoopBenchmark's six figures, measured on SwiftNIO's event loop.
//
//     swift build -c release --package-path perf/peers/swift-peers \
//         --scratch-path perf/.peers/swift-peers-build
//     perf/.peers/swift-peers-build/release/NIOLoopBench [--callbacks]
//
// The loop is the one `EventLoop` of a `MultiThreadedEventLoopGroup(numberOfThreads: 1)`:
// NIOPosix's `SelectableEventLoop` on its epoll selector (an eventfd for wake-ups, a timerfd for
// the earliest scheduled task). Every figure is taken the way perf/LoopBenchmark/main.swift
// takes ours: same sample counts, same pauses, same nearest-rank percentiles, same formatting
// and the same labels, one figure per line. Times are CLOCK_MONOTONIC (clock_gettime, as ours;
// on Linux `NIODeadline.now()` reads the same clock, so deadlines and timestamps agree).
//
// How each of our calls maps onto NIO, and where it is not an exact equivalent:
//
// - `loop.execute { }`            -> `eventLoop.execute { }`. Exact counterpart. NIO takes two
//   locks per call from another thread (`externalStateLock`, then `_tasksLock`) and writes its
//   eventfd only when no loop tick is already pending (`_pendingTaskPop`), as ours writes only
//   when the loop is parked.
// - `loop.schedule(at:) { _ in }` -> `eventLoop.scheduleTask(deadline:) { }`, NIO's ordinary
//   timer API. Not an exact equivalent: each call also makes an `EventLoopPromise` and returns
//   a `Scheduled<Void>` (future + cancellation closure), and firing completes that promise.
//   Ours allocates one `TimerRecord` and returns a struct `TimerHandle`, no future. NIO's
//   lighter API, `scheduleCallback(at:handler:)` (a handler, no promise), is closer to ours in
//   weight; `--callbacks` adds a seventh line, the heap figure measured with it (one shared
//   handler object for all timers), under a label that the six standard lines do not share.
//   Both loops fire in (deadline, submission) order (NIO: (readyTime, id)).
// - Timer lateness: ours schedules all 5,000 timers up front from the benchmark thread (it
//   does not chain them), so this does the same with `scheduleTask(deadline:)`.
// - Heap throughput: NIO's timer heap stores `ScheduledTask` values (closures or an
//   existential handler, plus deadline and id) and copies them on every sift, retaining and
//   releasing what they hold (a profile of this run: ~70% of samples in `swift_retain`,
//   `swift_release` and `ScheduledTask` copies under `Heap._heapify`). That is NIO's real cost
//   for this pattern, so the figure is kept as measured.
// - `LoopBound` (release-checked loop-thread box) -> `NIOLoopBoundBox` (also a class, also
//   checked in release builds via `preconditionInEventLoop()`).
// - NIO hands out the loop as `any EventLoop` (`group.next()`), so each call is a protocol
//   witness call; ours is a final class. That is how NIO is used, so it stays.
// - Timer arming: NIO arms its timerfd with a relative timeout computed from `now` just before
//   sleeping (ours: absolute CLOCK_MONOTONIC time), and only re-arms when the new deadline is
//   earlier than the armed one. Part of what the lateness figure measures.
// - Task draining: NIO pops ready work in batches of at most 4096 under `_tasksLock`,
//   alternating immediate tasks and due scheduled tasks; ours swaps the whole queue out in one
//   lock and fires all due timers. Part of what the throughput figures measure.

import Dispatch
import Glibc
import NIOCore
import NIOPosix
import Synchronization

/// CLOCK_MONOTONIC in nanoseconds (what our `MonotonicClock` and NIO's `NIODeadline` read).
@inline(__always)
func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) &* 1_000_000_000 &+ Int64(ts.tv_nsec)
}

/// The NIO deadline at CLOCK_MONOTONIC `nanoseconds`.
@inline(__always)
func deadline(atNanoseconds nanoseconds: Int64) -> NIODeadline {
    NIODeadline.uptimeNanoseconds(UInt64(nanoseconds))
}

/// The value at `fraction` (0...1) of `sorted`, nearest rank.
func percentile(_ sorted: [Int64], _ fraction: Double) -> Int64 {
    let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// `value` with `places` decimals (no Foundation here, so no `String(format:)`).
func decimal(_ value: Double, places: Int) -> String {
    var scale = 1
    for _ in 0..<places { scale *= 10 }
    let scaled = Int((value * Double(scale)).rounded())
    let fraction = String(abs(scaled) % scale)
    let padded = String(repeating: "0", count: places - fraction.count) + fraction
    return "\(scaled < 0 ? "-" : "")\(abs(scaled) / scale)" + (places > 0 ? ".\(padded)" : "")
}

func microseconds(_ nanoseconds: Int64) -> String {
    decimal(Double(nanoseconds) / 1_000, places: 1) + " us"
}

/// A small seeded generator, so runs are comparable (the same as LoopBenchmark's).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Wake-up latency: from `execute` on this thread to the closure starting on a loop parked in
/// `epoll_wait`. After each sample this thread pauses so that the loop is parked again.
func wakeUpLatency(loop: any EventLoop, samples: Int) -> [Int64] {
    let ranAt = Atomic<Int64>(0)
    let done = DispatchSemaphore(value: 0)
    var latencies: [Int64] = []
    latencies.reserveCapacity(samples)
    for _ in 0..<samples {
        usleep(100)  // let the loop go back to epoll_wait
        let sent = monotonicNanoseconds()
        loop.execute {
            ranAt.store(monotonicNanoseconds(), ordering: .relaxed)
            done.signal()
        }
        done.wait()
        latencies.append(ranAt.load(ordering: .relaxed) - sent)
    }
    return latencies.sorted()
}

/// Timer lateness: `count` tasks at deadlines `spacingNanoseconds` apart, all scheduled up front
/// from this thread as LoopBenchmark does (each one re-arms the timerfd and wakes the loop);
/// for each, the time it started running minus its deadline.
func timerLateness(loop: any EventLoop, count: Int, spacingNanoseconds: Int64) -> [Int64] {
    let lateness = Mutex<[Int64]>([])
    let done = DispatchSemaphore(value: 0)
    let first = monotonicNanoseconds() + 20_000_000  // 20 ms from now
    for index in 0..<count {
        let due = first + spacingNanoseconds * Int64(index)
        _ = loop.scheduleTask(deadline: deadline(atNanoseconds: due)) {
            let late = monotonicNanoseconds() - due
            let finished = lateness.withLock { all in
                all.append(late)
                return all.count == count
            }
            if finished { done.signal() }
        }
    }
    done.wait()
    return lateness.withLock { $0 }.sorted()
}

/// Heap throughput: on the loop thread, schedules `count` tasks with random deadlines in the
/// past (all due at once, in random order) and fires them all; returns the elapsed nanoseconds.
func heapThroughput(loop: any EventLoop, count: Int) -> Int64 {
    let done = DispatchSemaphore(value: 0)
    let elapsed = Mutex<Int64>(0)
    loop.execute {
        var generator = SplitMix64(state: 7)
        let fired = NIOLoopBoundBox(0, eventLoop: loop)
        let start = monotonicNanoseconds()
        for _ in 0..<count {
            let due = start - Int64(generator.next() % 1_000_000_000)
            _ = loop.scheduleTask(deadline: deadline(atNanoseconds: due)) {
                fired.value += 1
                if fired.value == count {
                    elapsed.withLock { $0 = monotonicNanoseconds() - start }
                    done.signal()
                }
            }
        }
    }
    done.wait()
    return elapsed.withLock { $0 }
}

/// The `scheduleCallback` variant's handler: one object shared by every timer of the run (NIO's
/// callback API is built for handlers that are reused); counts firings and records the elapsed
/// time at the last one.
final class CountingCallback: NIOScheduledCallbackHandler, Sendable {
    let fired: NIOLoopBoundBox<Int>
    let count: Int
    let start: Int64
    let elapsed: Mutex<Int64>
    let done: DispatchSemaphore

    init(loop: any EventLoop, count: Int, start: Int64, done: DispatchSemaphore) {
        fired = NIOLoopBoundBox(0, eventLoop: loop)
        self.count = count
        self.start = start
        elapsed = Mutex(0)
        self.done = done
    }

    func handleScheduledCallback(eventLoop: some EventLoop) {
        fired.value += 1
        if fired.value == count {
            elapsed.withLock { $0 = monotonicNanoseconds() - start }
            done.signal()
        }
    }

    func didCancelScheduledCallback(eventLoop: some EventLoop) {}
}

/// Heap throughput as `heapThroughput`, with `scheduleCallback(at:handler:)` instead of
/// `scheduleTask(deadline:)` (no promise, no closures per timer). Only with `--callbacks`.
func heapThroughputCallbacks(loop: any EventLoop, count: Int) throws -> Int64 {
    let done = DispatchSemaphore(value: 0)
    let outcome = Mutex<Result<CountingCallback, any Error>?>(nil)
    loop.execute {
        var generator = SplitMix64(state: 7)
        let start = monotonicNanoseconds()
        let handler = CountingCallback(loop: loop, count: count, start: start, done: done)
        do {
            for _ in 0..<count {
                let due = start - Int64(generator.next() % 1_000_000_000)
                _ = try loop.scheduleCallback(at: deadline(atNanoseconds: due), handler: handler)
            }
            outcome.withLock { $0 = .success(handler) }
        } catch {
            outcome.withLock { $0 = .failure(error) }
            done.signal()
        }
    }
    done.wait()
    let handler = try outcome.withLock { $0 }!.get()
    return handler.elapsed.withLock { $0 }
}

/// Execute throughput: closures submitted from one thread to a busy loop, per second.
func executeThroughput(loop: any EventLoop, count: Int) -> Int64 {
    let done = DispatchSemaphore(value: 0)
    let ran = NIOLoopBoundBox.makeBoxSendingValue(0, eventLoop: loop)
    let start = monotonicNanoseconds()
    for _ in 0..<count {
        loop.execute {
            ran.value += 1
            if ran.value == count { done.signal() }
        }
    }
    done.wait()
    return monotonicNanoseconds() - start
}

func perSecond(_ count: Int, _ elapsedNanoseconds: Int64) -> String {
    let seconds = Double(elapsedNanoseconds) / 1e9
    return decimal(Double(count) / seconds / 1e6, places: 2) + " M/s"
}

let alsoCallbacks = CommandLine.arguments.dropFirst().contains("--callbacks")

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let loop = group.next()

let wakeUps = wakeUpLatency(loop: loop, samples: 10_000)
print("eventfd wake-up latency p50: \(microseconds(percentile(wakeUps, 0.50)))")
print("eventfd wake-up latency p99: \(microseconds(percentile(wakeUps, 0.99)))")

let lateness = timerLateness(loop: loop, count: 5_000, spacingNanoseconds: 200_000)
print("timer lateness p50: \(microseconds(percentile(lateness, 0.50)))")
print("timer lateness p99: \(microseconds(percentile(lateness, 0.99)))")

let timerCount = 1_000_000
let heapElapsed = heapThroughput(loop: loop, count: timerCount)
print("heap throughput (1M timers scheduled and fired): \(perSecond(timerCount, heapElapsed)) timers")

let executeCount = 1_000_000
let executeElapsed = executeThroughput(loop: loop, count: executeCount)
print("execute throughput (1 producer thread): \(perSecond(executeCount, executeElapsed)) closures")

if alsoCallbacks {
    let callbackElapsed = try heapThroughputCallbacks(loop: loop, count: timerCount)
    print(
        "scheduleCallback heap throughput (1M callbacks scheduled and fired): "
            + "\(perSecond(timerCount, callbackElapsed)) timers"
    )
}

try group.syncShutdownGracefully()
