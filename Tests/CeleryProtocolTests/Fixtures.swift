import Foundation
import PythonCompat

/// Loads the captured Celery messages byte for byte from `<repo>/Fixtures/celery-messages/`.
enum Fixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // CeleryProtocolTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repo root
        .appendingPathComponent("Fixtures/celery-messages", isDirectory: true)

    static var messageNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// The fixture's envelope, parsed.
    static func envelope(_ name: String) throws -> JSONObject {
        guard let object = try JSONValue.parse(try bytes(name)).objectValue else {
            throw FixtureError.notAnObject(name)
        }
        return object
    }

    enum FixtureError: Error { case notAnObject(String) }
}

/// Shorthand for test inputs.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

let sep = "\u{06}\u{16}"
