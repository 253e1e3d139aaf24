import Foundation
import PythonCompat
import TestSupport

/// The captured AA messages (`CeleryFixtures`), and their envelopes parsed.
typealias Fixtures = CeleryFixtures

extension CeleryFixtures {
    /// The fixture's envelope, parsed.
    static func envelope(_ name: String) throws -> JSONObject {
        guard let object = try JSONValue.parse(try bytes(name)).objectValue else {
            throw FixtureError.notAnObject(name)
        }
        return object
    }
}

enum FixtureError: Error { case notAnObject(String) }

/// Shorthand for test inputs.
func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

let sep = "\u{06}\u{16}"
