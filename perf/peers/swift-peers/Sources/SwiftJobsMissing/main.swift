// Built instead of the swift-jobs harness when no swift-jobs checkout is found (see
// Package.swift): says so, and exits 3 so that perf/run reports the peer as not run.
import Foundation

FileHandle.standardError.write(Data(
    "swift-jobs is not available: it is not in this machine's package mirror; set SWIFT_JOBS_CHECKOUT to a swift-jobs 1.3.x checkout\n".utf8))
exit(3)
