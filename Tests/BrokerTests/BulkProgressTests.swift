import Foundation
import Testing
@testable import Broker

@Suite struct BulkProgressTests {
    let start = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func roundTripsWithTheSnakeCaseNamesStatusPrints() throws {
        let progress = BulkProgress(taskID: "a-b-c", task: "discord.update_all", done: 10, total: 20, changed: 3, failed: 1,
                                    startedAt: start, updatedAt: start.addingTimeInterval(5),
                                    sendingSince: start.addingTimeInterval(2), doneWhenSendingStarted: 7)
        let data = try JSONEncoder.progress.encode(progress)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["task_id"] as? String == "a-b-c")
        #expect(object["done_when_sending_started"] as? Int == 7)
        #expect(try JSONDecoder.progress.decode(BulkProgress.self, from: data) == progress)
    }

    @Test func etaComesFromTheSendingPhaseOnly() {
        // 9,000 unchanged members were done in the first second; then 10 changes in 1 s; 990 are left.
        var progress = BulkProgress(taskID: "t", task: "discord.update_all", done: 9_010, total: 10_000,
                                    startedAt: start, updatedAt: start.addingTimeInterval(2),
                                    sendingSince: start.addingTimeInterval(1), doneWhenSendingStarted: 9_000)
        #expect(progress.etaSeconds == 99)
        progress.sendingSince = nil
        #expect(progress.etaSeconds == nil)  // still reading and planning: no honest estimate yet
        progress.done = progress.total
        #expect(progress.etaSeconds == 0)
    }
}
