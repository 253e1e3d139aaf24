import Foundation
import Testing
import PythonCompat
@testable import CeleryProtocol

@Suite struct ResultMetaTests {
    let done = ISODate.parse("2026-11-25T17:11:07.648039+00:00")!

    @Test func keys() {
        #expect(ResultMeta.key(taskID: "abc") == "celery-task-meta-abc")
    }

    @Test func success() {
        let json = String(decoding: ResultMeta.success(taskID: "abc", result: 5, dateDone: done), as: UTF8.self)
        #expect(json == #"{"status": "SUCCESS", "result": 5, "traceback": null, "children": [], "date_done": "2026-11-25T17:11:07.648039+00:00", "task_id": "abc"}"#)
    }

    @Test func failureWithParentAndGroup() {
        let json = String(decoding: ResultMeta.failure(
            taskID: "abc", excType: "ValueError", excMessage: ["bad"], excModule: "builtins", traceback: "Traceback…",
            dateDone: done, groupID: "g", parentID: "p"), as: UTF8.self)
        #expect(json == #"{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["bad"], "exc_module": "builtins"}, "traceback": "Traceback\u2026", "children": [], "date_done": "2026-11-25T17:11:07.648039+00:00", "group_id": "g", "parent_id": "p", "task_id": "abc"}"#)
    }

    @Test func retryHasNoDateDone() throws {
        let value = try JSONValue.parse(ResultMeta.retry(
            taskID: "abc", excType: "Retry", excMessage: [], excModule: "celery.exceptions", traceback: nil))
        #expect(value["status"] == "RETRY")
        #expect(value["date_done"] == .null)
    }

    @Test func revokedAndNotRegistered() throws {
        let revoked = try JSONValue.parse(ResultMeta.revoked(taskID: "abc", reason: "expired", dateDone: done))
        #expect(revoked["result"] == ["exc_type": "TaskRevokedError", "exc_message": ["expired"], "exc_module": "celery.exceptions"])
        #expect(revoked["traceback"] == .null)
        #expect(revoked["date_done"] == "2026-11-25T17:11:07.648039+00:00")
        let unknown = try JSONValue.parse(ResultMeta.notRegistered(taskID: "abc", task: "discord.nope", dateDone: done))
        #expect(unknown["status"] == "FAILURE")
        #expect(unknown["result"]?["exc_type"] == "NotRegistered")
        #expect(unknown["result"]?["exc_message"] == ["discord.nope"])
    }
}
