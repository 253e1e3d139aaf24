import Foundation
import HostDatabase
import HostDatabaseMariaDB
import MariaDBClient
import Testing
import TestSupport

/// `ssl-mode` against a mariadbd offering TLS with a throw-away CA.
@Suite struct MariaDBTLSTests {
    private func open(_ url: String) async throws -> MariaDBHostDatabase {
        guard case .mysql(let endpoint) = try DatabaseURL(parsing: url).backend else { throw TestSupportError("not mysql") }
        return try await MariaDBHostDatabase.open(endpoint, poolSize: 1)
    }

    @Test func sslModesEncryptAndVerify() async throws {
        let server = try await MariaDBServerProcess.start(tls: true)
        try await withCleanup({ await server.stop() }) {
            let db = try MariaDBAADatabase.create(on: server)
            let base = db.url()
            for query in ["ssl-mode=REQUIRED", "ssl-mode=VERIFY_CA&ssl-ca=\(server.caPath)",
                          "ssl-mode=VERIFY_IDENTITY&ssl-ca=\(server.caPath)"] {
                let database = try await open(base + "?" + query)
                try await withCleanup({ await database.close() }) { () async throws in
                    #expect(try await database.linkedUsers(pks: nil).isEmpty, "\(query)")
                }
            }
            // Encrypted indeed: the session reports its cipher.
            var configuration = db.configuration
            configuration.tlsMode = .required
            let session = try MariaDBSession(configuration)
            defer { session.close() }
            let cipher = try session.query("SHOW SESSION STATUS LIKE 'Ssl_cipher'").first?.last?.string ?? ""
            #expect(!cipher.isEmpty)

            // A certificate from another CA is refused when verifying.
            let other = try await MariaDBServerProcess.start(tls: true)
            try await withCleanup({ await other.stop() }) {
                let error = await #expect(throws: HostDatabaseError.self) {
                    try await open(base + "?ssl-mode=VERIFY_CA&ssl-ca=\(other.caPath)")
                }
                #expect(error?.description.contains("DATABASE_URL") == true)
                #expect(error?.description.contains(MariaDBServerProcess.password) == false)
            }
        }

        // REQUIRED against a server without TLS fails instead of falling back to plain text.
        let plain = try MariaDBAADatabase.create(on: try await MariaDBServerProcess.shared())
        defer { try? plain.drop() }
        let refused = await #expect(throws: HostDatabaseError.self) { try await open(plain.url(query: "ssl-mode=REQUIRED")) }
        #expect(refused?.description.contains("TLS is required") == true)
    }
}
