import ArgumentParser
import Foundation

/// A command that failed for a reason the user can act on: printed as one line on standard
/// error, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }

    /// Writes `error: <message>` to standard error as one line, whatever the message holds
    /// (line breaks and other controls are escaped; see ``UserText/escaped(_:)``).
    static func report(_ message: String) {
        FileHandle.standardError.write(Data("error: \(UserText.escaped(message))\n".utf8))
    }
}

extension AsyncParsableCommand {
    /// Runs `body`, turning a ``CommandFailure`` or any other error into one line on standard
    /// error and exit status 1.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            CommandFailure.report("\(error)")
            throw ExitCode.failure
        }
    }
}
