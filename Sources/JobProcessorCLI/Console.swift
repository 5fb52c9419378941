import Foundation

/// Lines for whoever reads the tool's standard output while it runs (a test, a script): written
/// at once, not when stdout's buffer fills.
enum Console {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}
