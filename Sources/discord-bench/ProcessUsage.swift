// CPU time and memory of a child process, read from /proc while it runs (the last sample before it
// exits is what a run reports: at most one sampling interval is missed).

import Foundation
import TestSupport

struct ProcessUsage: Sendable {
    /// Peak resident set size (VmHWM / VmRSS), bytes.
    var peakRSS = 0
    /// User + system CPU seconds at the last sample.
    var cpuSeconds = 0.0

    /// utime + stime of /proc/PID/stat in seconds (nil when the process is gone).
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (user + system) / (ticks > 0 ? ticks : 100)
    }

    /// `Anonymous` and `Private_Dirty` of /proc/PID/smaps_rollup, bytes: memory only this process uses.
    static func privateMemory(pid: Int32) -> (anonymous: Int, privateDirty: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8) else { return nil }
        var anonymous = 0, dirty = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kb = Int(parts[1]) else { continue }
            if parts[0] == "Anonymous:" { anonymous = kb * 1024 }
            if parts[0] == "Private_Dirty:" { dirty = kb * 1024 }
        }
        return (anonymous, dirty)
    }

    /// Samples every 100 ms until the process is reaped.
    static func track(_ process: ChildProcess) -> Task<ProcessUsage, Never> {
        Task {
            var usage = ProcessUsage()
            while process.isRunning {
                usage.peakRSS = max(usage.peakRSS, RSSSampler.sample(pid: process.pid))
                if let cpu = cpuSeconds(pid: process.pid) { usage.cpuSeconds = cpu }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return usage
        }
    }
}
