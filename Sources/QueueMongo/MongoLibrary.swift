import CMongoC
import BSON
import Queue

/// libmongoc's process-wide initialisation: `mongoc_init`, once, with its log handler installed
/// first so that none of its lines (not even `mongoc_init`'s own) bypass swift-log.
///
/// Thread-safe: a `static let` initialiser runs once (and libmongoc 1.x guards `mongoc_init`
/// with `pthread_once` as well). Every entry point that calls libmongoc calls ``initialize()``
/// first.
enum MongoLibrary {
    private static let initialized: Void = {
        MongoLog.install()
        mongoc_init()
    }()

    /// Initialises libmongoc if this process has not yet. O(1) after the first call.
    static func initialize() {
        _ = initialized
    }
}
