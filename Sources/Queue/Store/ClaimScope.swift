import Foundation
import BSON

/// Which jobs a worker may claim: the names declared in this process whose tag its worker tags
/// allow (SPEC §3: untagged jobs go to every worker, tagged ones to workers with that tag).
public struct ClaimScope: Sendable, Hashable {
    /// The worker that claims.
    public var workerId: ObjectId
    /// The job and cron names it may run. Empty: it claims nothing.
    public var names: [String]

    /// The scope of `workerId` over `names`.
    public init(workerId: ObjectId, names: [String]) {
        self.workerId = workerId
        self.names = names
    }
}
