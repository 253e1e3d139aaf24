import Foundation
public import PythonCompat

/// What `stats` and `report` say about the process and the machine (system calls; the service fills them in).
public enum ProcessFacts {
    /// Celery's `rusage` dict (`resource.getrusage(RUSAGE_SELF)`).
    public static func rusage() -> JSONObject {
        var usage = Glibc.rusage()
        _ = getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> JSONValue { .double(Double(t.tv_sec) + Double(t.tv_usec) / 1_000_000) }
        return [
            "utime": seconds(usage.ru_utime),
            "stime": seconds(usage.ru_stime),
            "maxrss": .int(Int64(usage.ru_maxrss)),
            "ixrss": .int(Int64(usage.ru_ixrss)),
            "idrss": .int(Int64(usage.ru_idrss)),
            "isrss": .int(Int64(usage.ru_isrss)),
            "minflt": .int(Int64(usage.ru_minflt)),
            "majflt": .int(Int64(usage.ru_majflt)),
            "nswap": .int(Int64(usage.ru_nswap)),
            "inblock": .int(Int64(usage.ru_inblock)),
            "oublock": .int(Int64(usage.ru_oublock)),
            "msgsnd": .int(Int64(usage.ru_msgsnd)),
            "msgrcv": .int(Int64(usage.ru_msgrcv)),
            "nsignals": .int(Int64(usage.ru_nsignals)),
            "nvcsw": .int(Int64(usage.ru_nvcsw)),
            "nivcsw": .int(Int64(usage.ru_nivcsw)),
        ]
    }

    /// `system:Linux arch:x86_64 kernel version:6.1.0` (from `uname`).
    public static func platform() -> String {
        var uts = utsname()
        _ = uname(&uts)
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "system:\(text(uts.sysname)) arch:\(text(uts.machine)) kernel version:\(text(uts.release))"
    }
}
