import Foundation
import XCTest

/// A test's input file is missing while `TERN_REQUIRE_MODELS=1` says it must be there.
public struct MissingTestFile: Error, CustomStringConvertible {
    public let path: String
    public var description: String { "\(path) is missing and TERN_REQUIRE_MODELS=1: run scripts/fetch-test-models" }
}

/// The path of a test model in the model cache (`TERN_MODEL_CACHE`, else ~/.cache/tern/models),
/// after `requireFile` on it.
public func requiredModel(_ name: String) throws -> String {
    let path = (ProcessInfo.processInfo.environment["TERN_MODEL_CACHE"] ?? NSHomeDirectory() + "/.cache/tern/models") + "/" + name
    try requireFile(path)
    return path
}

/// Skips the calling test when `path` does not exist, or fails it (throws `MissingTestFile`)
/// when the environment sets `TERN_REQUIRE_MODELS=1`, as scripts/test does: there a missing
/// model must not turn a suite green by skipping it.
public func requireFile(_ path: String) throws {
    guard !FileManager.default.fileExists(atPath: path) else { return }
    if ProcessInfo.processInfo.environment["TERN_REQUIRE_MODELS"] == "1" { throw MissingTestFile(path: path) }
    throw XCTSkip("\(path) missing: run scripts/fetch-test-models")
}
