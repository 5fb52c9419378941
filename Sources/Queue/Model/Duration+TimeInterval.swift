import Foundation
import BSON

extension Duration {
    /// The duration in seconds, fractions included, for `Date` arithmetic.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components  // once: each read divides a 128-bit value
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
