// LoopBenchmark: the event loop's wake-up latency, timer lateness and timer-heap throughput.
//
//     swift run -c release LoopBenchmark
//
// Prints one figure per line with its unit. See perf/README.md for what each figure measures.
// Times come from CLOCK_MONOTONIC (MonotonicClock), the clock the loop's timerfd uses.

import Dispatch
import Glibc
import Loop
import Synchronization

let clock = MonotonicClock()

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

/// A small seeded generator, so runs are comparable.
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
func wakeUpLatency(loop: EventLoop, samples: Int) throws -> [Int64] {
    let ranAt = Atomic<Int64>(0)
    let done = DispatchSemaphore(value: 0)
    var latencies: [Int64] = []
    latencies.reserveCapacity(samples)
    for _ in 0..<samples {
        usleep(100)  // let the loop go back to epoll_wait
        let sent = clock.now().nanoseconds
        try loop.execute {
            ranAt.store(clock.now().nanoseconds, ordering: .relaxed)
            done.signal()
        }
        done.wait()
        latencies.append(ranAt.load(ordering: .relaxed) - sent)
    }
    return latencies.sorted()
}

/// Timer lateness: `count` timers at deadlines `spacing` apart (each one re-arms the timerfd
/// and wakes the loop); for each, the time it started running minus its deadline.
func timerLateness(loop: EventLoop, count: Int, spacing: Duration) -> [Int64] {
    let lateness = Mutex<[Int64]>([])
    let done = DispatchSemaphore(value: 0)
    let first = clock.now() + .milliseconds(20)
    for index in 0..<count {
        let deadline = first + spacing * index
        loop.schedule(at: deadline) { _ in
            let late = clock.now().nanoseconds - deadline.nanoseconds
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

/// Heap throughput: on the loop thread, schedules `count` timers with random deadlines in the
/// past (all due at once, in random order) and fires them all; returns the elapsed time.
func heapThroughput(loop: EventLoop, count: Int) throws -> Duration {
    let done = DispatchSemaphore(value: 0)
    let elapsed = Mutex<Duration>(.zero)
    try loop.execute {
        var generator = SplitMix64(state: 7)
        let fired = LoopBound(0, loop: loop)
        let start = clock.now()
        for _ in 0..<count {
            let deadline = start - .nanoseconds(Int64(generator.next() % 1_000_000_000))
            loop.schedule(at: deadline) { _ in
                fired.value += 1
                if fired.value == count {
                    elapsed.withLock { $0 = clock.now() - start }
                    done.signal()
                }
            }
        }
    }
    done.wait()
    return elapsed.withLock { $0 }
}

/// Execute throughput: closures submitted from one thread to a busy loop, per second.
func executeThroughput(loop: EventLoop, count: Int) throws -> Duration {
    let done = DispatchSemaphore(value: 0)
    let ran = LoopBound(0, loop: loop)
    let start = clock.now()
    for _ in 0..<count {
        try loop.execute {
            ran.value += 1
            if ran.value == count { done.signal() }
        }
    }
    done.wait()
    return clock.now() - start
}

func perSecond(_ count: Int, _ elapsed: Duration) -> String {
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    return decimal(Double(count) / seconds / 1e6, places: 2) + " M/s"
}

let loop = try EventLoop.startThread(name: "bench-loop")

let wakeUps = try wakeUpLatency(loop: loop, samples: 10_000)
print("eventfd wake-up latency p50: \(microseconds(percentile(wakeUps, 0.50)))")
print("eventfd wake-up latency p99: \(microseconds(percentile(wakeUps, 0.99)))")

let lateness = timerLateness(loop: loop, count: 5_000, spacing: .microseconds(200))
print("timer lateness p50: \(microseconds(percentile(lateness, 0.50)))")
print("timer lateness p99: \(microseconds(percentile(lateness, 0.99)))")

let timerCount = 1_000_000
let heapElapsed = try heapThroughput(loop: loop, count: timerCount)
print("heap throughput (1M timers scheduled and fired): \(perSecond(timerCount, heapElapsed)) timers")

let executeCount = 1_000_000
let executeElapsed = try executeThroughput(loop: loop, count: executeCount)
print("execute throughput (1 producer thread): \(perSecond(executeCount, executeElapsed)) closures")

loop.stop()
loop.waitUntilStopped()
