import DebertacIR

/// One named graph transformation. Passes are listed, in order, by `Pipeline.defaultPasses`.
///
/// A pass rewrites `graph` in place and reports what it changed. It may leave the graph
/// invalid only while it runs: the pass manager verifies after every pass in tests and
/// under `--verify-each`. Passes that create or need constant data go through
/// `context.constants`.
public protocol Pass {
    /// The pass's name in `--passes`, `--disable-pass`, IR dumps and `--stats`: lowercase
    /// words joined by `-` (`fold-constants`).
    var name: String { get }
    /// One line saying what the pass does, for `--help` and docs.
    var summary: String { get }
    /// Rewrites `graph`; returns what changed.
    func run(on graph: inout Graph, context: PassContext) throws -> PassStatistics
}

/// What one pass changed: counters printed as its `--stats` line, in insertion order.
public struct PassStatistics: Sendable, Equatable, CustomStringConvertible {
    /// `(label, count)` pairs, e.g. `("ops fused", 12)`.
    public private(set) var counters: [(label: String, value: Int)] = []
    /// Free-form remarks appended to the line (e.g. why something was skipped).
    public private(set) var notes: [String] = []

    /// No change.
    public init() {}

    /// Adds `value` to the counter `label` (created at zero on first use).
    public mutating func add(_ value: Int = 1, _ label: String) {
        if let index = counters.firstIndex(where: { $0.label == label }) {
            counters[index].value += value
        } else {
            counters.append((label, value))
        }
    }

    /// Appends a remark.
    public mutating func note(_ text: String) { notes.append(text) }

    /// The counter `label`, 0 when absent.
    public subscript(label: String) -> Int { counters.first { $0.label == label }?.value ?? 0 }

    /// Whether any counter is non-zero.
    public var changedAnything: Bool { counters.contains { $0.value != 0 } }

    /// `12 ops fused, 3 constants folded (1024 bytes)`, or `no change`.
    public var description: String {
        let parts = counters.filter { $0.value != 0 }.map { "\($0.value) \($0.label)" } + notes
        return parts.isEmpty ? "no change" : parts.joined(separator: ", ")
    }

    public static func == (lhs: PassStatistics, rhs: PassStatistics) -> Bool {
        lhs.counters.elementsEqual(rhs.counters) { $0.label == $1.label && $0.value == $1.value } && lhs.notes == rhs.notes
    }
}
