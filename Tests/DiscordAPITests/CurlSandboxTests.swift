@testable import CurlHTTP
import DiscordAPI
import DiscordSandbox
import Foundation
import Testing
import TestSupport

extension IntegrationTests {
    @Suite("CurlHTTPClient against the sandbox")
    struct CurlSandboxTests {
        func rolesRequest(_ h: Harness, timeouts: HTTPRequest.Timeouts = HTTPRequest.Timeouts()) -> HTTPRequest {
            HTTPRequest(method: .get, url: h.sandbox.baseURL + "guilds/\(h.sandbox.guildID)/roles",
                        headers: [("Authorization", "Bot \(Harness.botToken)"), ("User-Agent", "DiscordBot (test, 1)")],
                        timeouts: timeouts)
        }

        @Test func concurrentRequestsAndHeaders() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let http = h.httpClient()
                let request = rolesRequest(h)
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<16 { group.addTask { try await http.send(request).status } }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses == Array(repeating: 200, count: 16))
                let response = try await http.send(request)
                #expect(response.headers["content-type"]?.hasPrefix("application/json") == true)
                // Keep-alive: sequential requests run on a connection opened before.
                #expect(try await http.send(request).reusedConnection)
                #expect((try? JSONSerialization.jsonObject(with: Data(response.body))) is [Any])

                // A body with PATCH, and a status that is not 2xx is still a response.
                let patch = HTTPRequest(
                    method: .patch, url: h.sandbox.baseURL + "guilds/\(h.sandbox.guildID)/members/\(SandboxSeed.firstUserID + 1)",
                    headers: [("Authorization", "Bot \(Harness.botToken)"), ("Content-Type", "application/json")],
                    body: Array(#"{"nick": "Patched"}"#.utf8))
                #expect(try await http.send(patch).status == 200)
                #expect(h.sandbox.state.member(SandboxSeed.firstUserID + 1)?.nick == "Patched")
                var unauthorized = request
                unauthorized.headers = [("Authorization", "Bot wrong")]
                #expect(try await http.send(unauthorized).status == 401)
                await http.shutdown()
            }
        }

        @Test func timeoutAndCancellation() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let http = h.httpClient()
                await h.sandbox.setFaults(SandboxFaults(hang: SandboxHangFault(routes: [.getRoles], count: 2, maxDuration: .seconds(60))))
                await #expect {
                    _ = try await http.send(rolesRequest(h, timeouts: HTTPRequest.Timeouts(connect: .seconds(1), total: .milliseconds(300))))
                } throws: { ($0 as? HTTPClientError)?.code == .timeout }

                let hanging = Task { try await http.send(rolesRequest(h)) }
                try await waitUntil(timeout: .seconds(5), interval: .milliseconds(5), "the second hang") {
                    await h.sandbox.stats().hungRequests == 2
                }
                hanging.cancel()
                await #expect {
                    _ = try await hanging.value
                } throws: { ($0 as? HTTPClientError)?.code == .cancelled }
                // The client keeps working after both.
                #expect(try await http.send(rolesRequest(h)).status == 200)
                await http.shutdown()
            }
        }

        @Test func tlsIsVerified() async throws {
            try await Harness.with { (h: Harness) async throws -> Void in
                let http = h.httpClient()
                // The sandbox speaks plain HTTP: a TLS handshake with it must fail, not fall back.
                await #expect {
                    _ = try await http.send(HTTPRequest(method: .get, url: "https://127.0.0.1:\(h.sandbox.port)/api/v10/users/@me"))
                } throws: { ($0 as? HTTPClientError)?.code == .tls }
                await http.shutdown()
            }
        }
    }
}
