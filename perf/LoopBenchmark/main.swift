// LoopBenchmark: the event loop's wake-up latency, timer lateness and timer-heap throughput,
// and the system calls its iterations make, on each backend (epoll and io_uring) in one run.
//
//     swift run -c release LoopBenchmark [--rounds N] [--backend epoll|io_uring]
//                                        [--workload wake-up|timers|heap|execute]
//
// Prints one figure per line, `[backend] label: value unit`. Each round runs every workload on
// a fresh loop of each backend, the backends in alternating order (epoll first in odd rounds,
// io_uring first in even ones), and the figures pool the rounds. See perf/README.md for what
// each figure measures. Times come from CLOCK_MONOTONIC (MonotonicClock), the loop's clock.

import Dispatch
import Glibc
@_spi(LoopStatistics) import Loop
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
/// the kernel (`epoll_wait` or `io_uring_enter`). After each sample this thread pauses so that
/// the loop is parked again.
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

/// Timer lateness: `count` timers at deadlines `spacing` apart (each one moves the loop's
/// deadline, a timerfd or an io_uring timeout, and wakes the loop); for each, the time it
/// started running minus its deadline.
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

/// The loop's counters and its thread's CPU time (nanoseconds), read on its thread.
func statistics(_ loop: EventLoop) throws -> (LoopStatistics, Int64) {
    let result = Mutex<(LoopStatistics, Int64)?>(nil)
    let done = DispatchSemaphore(value: 0)
    try loop.execute {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        result.withLock { $0 = (loop.statistics, Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)) }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}

/// Runs `workload` on `loop`; returns its result and the iterations, system calls and CPU
/// time of the loop thread meanwhile.
func counting<Result>(_ loop: EventLoop, _ workload: () throws -> Result) throws -> (Result, Counts) {
    let (before, cpuBefore) = try statistics(loop)
    let result = try workload()
    let (after, cpuAfter) = try statistics(loop)
    return (result, Counts(
        iterations: after.iterations - before.iterations, systemCalls: after.systemCalls - before.systemCalls,
        cpuNanoseconds: cpuAfter - cpuBefore))
}

/// Loop iterations, the system calls made in them, and the loop thread's CPU time.
struct Counts {
    var iterations: UInt64 = 0
    var systemCalls: UInt64 = 0
    var cpuNanoseconds: Int64 = 0
}

/// One backend's figures, pooled over the rounds.
struct Figures {
    var wakeUps: [Int64] = []
    var lateness: [Int64] = []
    var heapTimers = 0
    var heapElapsed = Duration.zero
    var executed = 0
    var executeElapsed = Duration.zero
    /// Iterations, system calls and loop-thread CPU time per workload.
    var counts: [String: Counts] = [:]

    mutating func add(_ workload: String, _ delta: Counts) {
        counts[workload, default: Counts()].iterations += delta.iterations
        counts[workload, default: Counts()].systemCalls += delta.systemCalls
        counts[workload, default: Counts()].cpuNanoseconds += delta.cpuNanoseconds
    }
}

let workloads = ["wake-up", "timers", "heap", "execute"]

/// The chosen workloads once each on a new loop of `backend`.
func measure(_ backend: EventLoop.Backend, _ chosen: [String], into figures: inout Figures) throws {
    let loop = try EventLoop.startThread(name: "bench-loop", backend: backend)
    precondition(loop.backend == backend, "asked for \(backend), got \(loop.backend)")
    if chosen.contains("wake-up") {
        let (wakeUps, counts) = try counting(loop) { try wakeUpLatency(loop: loop, samples: 10_000) }
        figures.wakeUps += wakeUps
        figures.add("wake-up", counts)
    }
    if chosen.contains("timers") {
        let (lateness, counts) = try counting(loop) { timerLateness(loop: loop, count: 5_000, spacing: .microseconds(200)) }
        figures.lateness += lateness
        figures.add("timers", counts)
    }
    if chosen.contains("heap") {
        let timerCount = 1_000_000
        let (elapsed, counts) = try counting(loop) { try heapThroughput(loop: loop, count: timerCount) }
        figures.heapTimers += timerCount
        figures.heapElapsed += elapsed
        figures.add("heap", counts)
    }
    if chosen.contains("execute") {
        let executeCount = 1_000_000
        let (elapsed, counts) = try counting(loop) { try executeThroughput(loop: loop, count: executeCount) }
        figures.executed += executeCount
        figures.executeElapsed += elapsed
        figures.add("execute", counts)
    }
    loop.stop()
    loop.waitUntilStopped()
    // The heap workload frees a million timers into the malloc arena of the loop thread, which
    // the next loop's thread inherits: one of its first allocations then consolidates them all
    // (glibc's malloc_consolidate), a stall measured as the next loop's timer lateness. Trimming
    // here, outside every measurement, keeps the backends from paying for each other.
    _ = mallocTrim(0)
}

/// glibc's `malloc_trim`, which Swift's Glibc module does not import (<malloc.h>).
let mallocTrim = unsafeBitCast(
    dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim"), to: (@convention(c) (Int) -> Int32).self)

func perIteration(_ counts: Counts?) -> String {
    guard let counts, counts.iterations > 0 else { return "n/a" }
    return decimal(Double(counts.systemCalls) / Double(counts.iterations), places: 2)
        + " (\(counts.systemCalls) calls in \(counts.iterations) iterations)"
}

var rounds = 2
var backends: [EventLoop.Backend] = [.epoll, .ioUring]
var chosen = workloads
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch (argument, arguments.popFirst()) {
    case ("--rounds", let value?) where Int(value).map({ $0 > 0 }) == true:
        rounds = Int(value)!
    case ("--backend", "epoll"):
        backends = [.epoll]
    case ("--backend", "io_uring"):
        backends = [.ioUring]
    case ("--workload", let value?) where workloads.contains(value):
        chosen = [value]
    default:
        print("usage: LoopBenchmark [--rounds N] [--backend epoll|io_uring] [--workload \(workloads.joined(separator: "|"))]")
        exit(2)
    }
}

var figures: [EventLoop.Backend: Figures] = [:]
for round in 0..<rounds {
    for backend in round % 2 == 0 ? backends : backends.reversed() {
        try measure(backend, chosen, into: &figures[backend, default: Figures()])
    }
}

for backend in backends {
    var result = figures[backend]!
    result.wakeUps.sort()
    result.lateness.sort()
    let tag = "[\(backend)]"
    if !result.wakeUps.isEmpty {
        print("\(tag) eventfd wake-up latency p50: \(microseconds(percentile(result.wakeUps, 0.50)))")
        print("\(tag) eventfd wake-up latency p99: \(microseconds(percentile(result.wakeUps, 0.99)))")
    }
    if !result.lateness.isEmpty {
        print("\(tag) timer lateness p50: \(microseconds(percentile(result.lateness, 0.50)))")
        print("\(tag) timer lateness p99: \(microseconds(percentile(result.lateness, 0.99)))")
    }
    if result.heapTimers > 0 {
        print("\(tag) heap throughput (1M timers scheduled and fired): \(perSecond(result.heapTimers, result.heapElapsed)) timers")
    }
    if result.executed > 0 {
        print("\(tag) execute throughput (1 producer thread): \(perSecond(result.executed, result.executeElapsed)) closures")
    }
    for workload in ["execute", "timers", "wake-up"] where result.counts[workload] != nil {
        print("\(tag) system calls per iteration, \(workload): \(perIteration(result.counts[workload]))")
    }
    // The loop thread's CPU time per unit of work: unlike the latencies, it barely moves when
    // other processes preempt the benchmark.
    for (workload, unit, count) in [
        ("wake-up", "wake-up", result.wakeUps.count), ("timers", "timer fired", result.lateness.count),
        ("execute", "1,000 closures", result.executed / 1_000),
    ] where count > 0 {
        let cpu = Double(result.counts[workload]!.cpuNanoseconds) / Double(count)
        print("\(tag) loop thread CPU per \(unit): \(decimal(cpu / 1_000, places: 2)) us")
    }
}
