import Foundation
import Loom

/// TEST ONLY — for `make kill-test` (scripts/kill-restart-test.py); never set its variable in production.
///
/// Turns a prompt into a poison one that kills the server while it runs, as a prompt reaching a crash in some node
/// would, so the test can check that such a prompt is retried once after a restart and then recorded failed. It does
/// nothing unless the environment variable `LOOM_TEST_CRASH_MARKER` is set; then a prompt whose `extra_data` holds
/// `"loom_test_crash"` equal to that value aborts the process as it starts running.
enum TestCrashHook {
    static let variable = "LOOM_TEST_CRASH_MARKER"
    static let marker = ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }

    static func crashIfMarked(_ item: QueuedPrompt) {
        guard let marker, item.extraData["loom_test_crash"]?.stringValue == marker else { return }
        fatalError("\(variable) is set and prompt \(item.id) carries its marker: crashing on purpose (a test-only hook)")
    }
}
