import DequeModule
import HeapModule
import BSON

/// A min-priority queue that is O(1) for elements arriving in order: what ``MemoryJobStore``
/// keeps per job name to find the earliest claimable job.
///
/// Why: jobs are mostly created in the order they become due (`scheduled_for` is "now" or a
/// delay from it, ids grow with time), so a plain heap pays O(log n) and a cache miss per level
/// for an order it was handed already. Here an element not smaller than the last one of the
/// in-order run is appended to a deque; only the others (a job scheduled earlier than one
/// created before it, a paused job going back) go to a heap. The minimum is the smaller of the
/// deque's first element and the heap's minimum, so the order is exactly a heap's.
///
/// Like ``Heap``, it has no removal by key: cancel by marking and skip stale elements on pop.
struct ClaimQueue<Element: Comparable> {
    /// Elements in non-decreasing order: appended at the back, popped at the front.
    private var inOrder = Deque<Element>()
    /// Elements that arrived smaller than the back of `inOrder`.
    private var outOfOrder = Heap<Element>()

    /// An empty queue.
    init() {}

    /// The number of elements. O(1).
    var count: Int { inOrder.count + outOfOrder.count }

    /// Whether there are no elements. O(1).
    var isEmpty: Bool { inOrder.isEmpty && outOfOrder.isEmpty }

    /// Adds `element`. O(1) when it is not smaller than the last element added in order (or
    /// there is none); O(log n) otherwise.
    mutating func insert(_ element: Element) {
        if let last = inOrder.last, element < last {
            outOfOrder.insert(element)
        } else {
            inOrder.append(element)
        }
    }

    /// The smallest element, or nil when empty. O(1).
    var min: Element? {
        guard let first = inOrder.first else { return outOfOrder.min }
        guard let heapMin = outOfOrder.min, heapMin < first else { return first }
        return heapMin
    }

    /// Removes and returns the smallest element (nil when empty). Among equal elements, the one
    /// in the in-order run goes first. O(1) from the in-order run, O(log n) from the heap.
    @discardableResult
    mutating func popMin() -> Element? {
        guard let first = inOrder.first else { return outOfOrder.popMin() }
        if let heapMin = outOfOrder.min, heapMin < first { return outOfOrder.popMin() }
        return inOrder.removeFirst()
    }
}
