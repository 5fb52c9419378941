import Queue

extension JobStoreConformance {
    /// One behaviour of ``JobStore``, checked against a store given by its author.
    ///
    /// Checks are independent: each wants a database of its own, empty when it starts.
    public struct Check: Sendable, Identifiable, CustomStringConvertible {
        /// The behaviour the check proves, e.g. `claimTakesOnlyJobsDueByNow`; a check run for
        /// several values names the value in parentheses.
        public let name: String
        private let body: @Sendable (any JobStoreFactory) async throws -> Void

        /// A check named `name` that runs `body` against the stores a factory opens.
        ///
        /// `body` opens its stores with ``JobStoreFactory/openStore()``, prepares them, and
        /// throws a ``ConformanceFailure`` (see ``JobStoreConformance/expect(_:equals:_:fileID:line:)``)
        /// when the store breaks a rule.
        public init(_ name: String, _ body: @escaping @Sendable (any JobStoreFactory) async throws -> Void) {
            self.name = name
            self.body = body
        }

        /// The name: checks are identified by it.
        public var id: String { name }

        /// The name, as test runners show the check.
        public var description: String { name }

        /// Runs the check against the database `stores` opens onto, which must be empty.
        ///
        /// Checks of concurrent callers open four handles onto it; the others open one. The
        /// check prepares every store it opens.
        /// - Throws: a ``ConformanceFailure`` naming this check, or what the store threw.
        public func run(_ stores: any JobStoreFactory) async throws {
            do {
                try await body(stores)
            } catch var failure as ConformanceFailure {
                failure.check = name
                throw failure
            }
        }

        /// Runs the check against `store`, which must be empty. Checks of concurrent callers
        /// share it between their callers. The check prepares it.
        /// - Throws: a ``ConformanceFailure`` naming this check, or what the store threw.
        public func run(_ store: any JobStore) async throws {
            try await run(SingleStoreFactory(store: store))
        }
    }
}
