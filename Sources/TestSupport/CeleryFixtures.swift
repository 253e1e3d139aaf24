public import Foundation

/// The Celery messages captured from AA 5.5.0, byte for byte, in `<repo>/Fixtures/celery-messages/`.
public enum CeleryFixtures {
    public static let directory = URL(fileURLWithPath: RepositoryPaths.root + "/Fixtures/celery-messages", isDirectory: true)

    /// Every fixture file name (`*.json`), sorted.
    public static var messageNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    public static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}
