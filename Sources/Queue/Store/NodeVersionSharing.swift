/// A store whose database the Node version of this processor may also use (MongoDB): it says
/// whether it found the Node version's schema there, so that the worker can warn about settings
/// that would harm Node workers sharing it.
public protocol NodeVersionSharing: Sendable {
    /// Whether the Node version's validator is installed (known once the store is prepared).
    var nodeValidatorInstalled: Bool { get }
}
