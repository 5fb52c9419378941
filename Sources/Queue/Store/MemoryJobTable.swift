import Foundation
import BSON

/// The jobs of a ``MemoryJobStore``: each job in a numbered slot of one array, with a
/// dictionary from id to slot.
///
/// Why slots: the claim index (``ClaimQueue``) refers to jobs by slot, so that checking and
/// claiming the earliest job reads the array directly, without hashing an id and probing a
/// large dictionary (a cache miss per claim). Jobs created one after another sit next to each
/// other, and are claimed in that order. A slot is stable while its job is stored; slots of
/// removed jobs are reused, so a reference by slot is only valid together with the job's id.
struct MemoryJobTable {
    private var slots: [Job?] = []
    private var slotOfId: [ObjectId: Int] = [:]
    /// Slots of removed jobs, reused before the array grows.
    private var freeSlots: [Int] = []
    /// Hints for ``slot(of:)``: the slots of recently claimed jobs, at a position given by their
    /// id's hash (-1: none). Why: a claimed job's ending looks its slot up soon after, and the
    /// hint is read from a small array that stays in cache, where the id's bucket in
    /// `slotOfId` (as large as the table) usually is not. A hint is checked against the job in
    /// the slot, so a stale or overwritten one only costs the dictionary lookup.
    private var recentSlots = [Int](repeating: -1, count: MemoryJobTable.recentSlotCount)
    private static let recentSlotCount = 1024

    /// An empty table.
    init() {}

    /// The number of stored jobs. O(1).
    var count: Int { slotOfId.count }

    /// The job with this id, or nil. O(1).
    subscript(id: ObjectId) -> Job? {
        slotOfId[id].flatMap { slots[$0] }
    }

    /// The slot of the job with this id, or nil. O(1).
    func slot(of id: ObjectId) -> Int? {
        let hinted = recentSlots[Self.hintPosition(id)]
        if hinted >= 0, holds(id, at: hinted) { return hinted }
        return slotOfId[id]
    }

    /// Notes that the job `id`, in `slot`, will be looked up by id soon (it was just claimed).
    /// O(1).
    mutating func remember(_ id: ObjectId, at slot: Int) {
        recentSlots[Self.hintPosition(id)] = slot
    }

    /// Whether `slot` holds the job with this id. O(1); reads the id in place (the getters
    /// below too: binding the whole job would copy it).
    func holds(_ id: ObjectId, at slot: Int) -> Bool {
        slots[slot]?.id == id
    }

    /// The status of the job in `slot`, nil for a free slot. O(1).
    func status(at slot: Int) -> JobStatus? {
        slots[slot]?.status
    }

    /// The due time of the job in `slot`, nil for a free slot. O(1).
    func scheduledFor(at slot: Int) -> Date? {
        slots[slot]?.scheduledFor
    }

    /// Whether the job in `slot` has an expiry. O(1), read in place.
    func hasExpiry(at slot: Int) -> Bool {
        slots[slot]?.expiresAt != nil
    }

    /// The job in `slot`, or nil when the slot is free. O(1), no hashing.
    subscript(slot slot: Int) -> Job? {
        slots[slot]
    }

    /// Stores `job` under an id not stored yet and returns its slot; returns nil, and changes
    /// nothing, when a job with this id is stored. O(1) amortised, with one hash lookup of the
    /// id: the lookup inserts the slot the job would take, which is kept only when the id was
    /// not there (an insert per job is the hot path of scheduling: hashing ids was a quarter of
    /// `schedule`'s cost on the memory store with a lookup and an insert).
    mutating func insert(_ job: Job) -> Int? {
        let vacant = freeSlots.last ?? slots.count
        let slot = Self.read(&slotOfId[job.id, default: vacant])
        // `vacant` holds no stored job, so finding it means the id was just added.
        guard slot == vacant else { return nil }
        if freeSlots.last == vacant {
            freeSlots.removeLast()
            slots[slot] = job
        } else {
            slots.append(job)
        }
        return slot
    }

    /// The value behind an `inout` access: through `Dictionary`'s `subscript(_:default:)`, whose
    /// mutating access stores the default when the key is absent, in the same lookup.
    private static func read(_ value: inout Int) -> Int { value }

    /// Stores `job`, replacing the stored job with the same id (in its slot), and returns its
    /// slot. O(1) amortised.
    @discardableResult
    mutating func put(_ job: Job) -> Int {
        if let slot = slotOfId[job.id] {
            slots[slot] = job
            return slot
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = job
        } else {
            slot = slots.count
            slots.append(job)
        }
        slotOfId[job.id] = slot
        return slot
    }

    /// Runs `body` on the job in `slot` in place (no copy in and out of the array). The slot
    /// must hold a job. O(1).
    mutating func modify<Result>(slot: Int, _ body: (inout Job) -> Result) -> Result {
        body(&slots[slot]!)
    }

    /// Removes the job with this id, if stored. O(1) amortised.
    mutating func remove(_ id: ObjectId) {
        guard let slot = slotOfId.removeValue(forKey: id) else { return }
        slots[slot] = nil
        freeSlots.append(slot)
    }

    /// Every stored job, in no particular order. O(slots) to iterate.
    var all: some Sequence<Job> {
        slots.lazy.compactMap { $0 }
    }

    /// Where the hint for `id` is kept in `recentSlots`.
    private static func hintPosition(_ id: ObjectId) -> Int {
        id.hashValue & (recentSlotCount - 1)
    }
}
