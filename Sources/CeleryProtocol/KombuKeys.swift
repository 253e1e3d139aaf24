import Foundation
public import PythonCompat

/// kombu's Redis list keys for priority queues, with Alliance Auth's settings
/// (`priority_steps = 0...9`, no `sep` or `global_keyprefix` override, `queue_order_strategy = 'priority'`).
///
/// Queue `q` at priority step 0 is the list `q`; step N > 0 is `q + "\u{06}\u{16}" + "N"`.
/// Lower numbers are consumed first.
public enum KombuKeys {
    /// kombu's `Channel.sep`: the two bytes 0x06 0x16.
    public static let separator = "\u{06}\u{16}"
    /// AA's `priority_steps`.
    public static let prioritySteps: ClosedRange<Int> = 0...9

    /// The list key for `queue` at `priority` (clamped to 0...9; `nil` counts as 0).
    public static func listKey(queue: String, priority: Int?) -> String {
        let step = clampedPriority(priority)
        return step == 0 ? queue : queue + separator + String(step)
    }

    /// The keys of `queues` in the order a kombu worker with AA's settings pops them: the priority step is
    /// the outer loop (priority 0 on any queue beats priority 1 everywhere), queue order fixed within a step.
    public static func consumeOrder(queues: [String]) -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(queues.count * prioritySteps.count)
        for step in prioritySteps {
            for queue in queues { keys.append(listKey(queue: queue, priority: step)) }
        }
        return keys
    }

    /// The queue and priority step of a list key, split at the *last* separator. A key without a separator
    /// (or with a suffix that is not a step number) is the queue itself at priority 0.
    public static func parse(listKey: String) -> (queue: String, priority: Int) {
        guard let range = listKey.range(of: separator, options: .backwards) else { return (listKey, 0) }
        let suffix = listKey[range.upperBound...]
        guard let step = Int(suffix), prioritySteps.contains(step), String(step) == suffix else {
            return (listKey, 0)
        }
        return (String(listKey[..<range.lowerBound]), step)
    }

    /// Clamps to the priority steps; `nil` → 0.
    public static func clampedPriority(_ priority: Int?) -> Int {
        guard let priority else { return 0 }
        return min(max(priority, prioritySteps.lowerBound), prioritySteps.upperBound)
    }

    /// `properties.priority` as kombu reads it: `int(value)` clamped to 0...9, and 0 when that fails
    /// (missing, `null`, a non-numeric string, a list…). Like Python's `int()`, a float is truncated
    /// (`5.7` → 5), `true` is 1 and a decimal string (`" 5 "`) is parsed.
    public static func priority(from value: JSONValue?) -> Int {
        guard let value else { return 0 }
        let number: Int?
        switch value {
        case .int(let integer): number = integer > 100 ? 100 : (integer < -100 ? -100 : Int(integer))
        case .bool(let flag): number = flag ? 1 : 0
        case .double(let double):
            number = double.isFinite ? Int(max(-100, min(100, double.rounded(.towardZero)))) : nil
        case .string(let text): number = pythonInt(text)
        default: number = nil
        }
        return clampedPriority(number ?? 0)
    }

    /// Python's `int(str)` for plain decimal text: surrounding whitespace, an optional sign, digits with
    /// single underscores between them.
    static func pythonInt(_ text: String) -> Int? {
        var trimmed = Substring(text)
        while let first = trimmed.first, first.isWhitespace { trimmed.removeFirst() }
        while let last = trimmed.last, last.isWhitespace { trimmed.removeLast() }
        var negative = false
        if let sign = trimmed.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            trimmed.removeFirst()
        }
        guard let first = trimmed.first, first.isASCII, first.isNumber, trimmed.last?.isNumber == true,
            !trimmed.contains("__")
        else { return nil }
        var magnitude = 0
        for character in trimmed where character != "_" {
            guard let digit = character.asciiValue, (0x30...0x39).contains(digit) else { return nil }
            magnitude = min(magnitude * 10 + Int(digit - 0x30), 1_000_000)  // large values only need to clamp
        }
        return negative ? -magnitude : magnitude
    }
}
