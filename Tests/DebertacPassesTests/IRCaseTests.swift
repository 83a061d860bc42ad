import DebertacIR
import DebertacInterpreter
import DebertacPasses
import Foundation
import Testing

/// Data-driven pass tests: each `Tests/Fixtures/passes/*.ir` holds a graph and directives
/// in comments (docs/passes.md, "Testing passes"):
///
/// - `// RUN: pass-a,pass-b` (or `// RUN: default`): the passes to run;
/// - `// CHECK: text`: a line of the output contains `text`, after the previous match;
/// - `// CHECK-NEXT: text`: the line right after the previous match contains `text`;
/// - `// CHECK-NOT: text`: no line between the previous and the next match contains `text`;
/// - `// NO-DATA`: constants have no data (as `debertac opt` without a checkpoint);
/// - `// STATS: pass: line`: the pass's `--stats` line is exactly this;
/// - `// SHAPE: B=2 T=5`: batch and length for the equivalence run (default B=2, T=6).
///
/// Unless `NO-DATA` is given, every constant gets seeded random data and the output
/// graph must compute the same as the input on random inputs (|a − b| ≤ 1e-5 · (1 + |b|)).
@Suite struct IRCaseTests {
    @Test("IR cases in Tests/Fixtures/passes", arguments: PassFixtures.irCases)
    func irCase(file: String) throws {
        let text = try String(contentsOfFile: PassFixtures.root + "/passes/" + file, encoding: .utf8)
        let directives = Directives(text)
        let input = try Graph.parse(text)
        let constants = directives.noData ? nil : Self.randomConstants(for: input)
        let context = PassContext(constants: ConstantStore(base: constants), maxSequenceLength: 16)
        let passes = directives.run == ["default"] ? Pipeline.defaultPasses() : try Pipeline.passes(list: directives.run)
        var output = input
        let records = try PassRunner.run(&output, passes: passes, context: context)
        let printed = output.printed()
        // The output is valid IR text too.
        #expect(try Graph.parse(printed).printed() == printed)
        FileCheck.check(printed, directives.checks, file: file)
        for (pass, line) in directives.stats {
            let record = try #require(records.first { $0.name == pass }, "\(file): pass '\(pass)' did not run")
            #expect(record.statistics.description == line, "\(file): stats of '\(pass)'")
        }
        if let constants {
            try Self.expectEquivalent(input, output, base: constants, computed: context.constants,
                                      batch: directives.batch, length: directives.length, file: file)
        }
    }

    /// Seeded random data for every constant of `graph`.
    static func randomConstants(for graph: Graph) -> ConstantTable {
        var table = ConstantTable()
        for id in graph.ops {
            guard let name = graph[op: id].constantName, let shape = graph.type(of: graph[op: id].result).staticShape else { continue }
            table.tensors[name] = HostTensor(shape: shape, floats: TestData.floats(shape.reduce(1, *), seed: TestData.seed(name)))
        }
        return table
    }

    /// Runs both graphs on the same random inputs and compares every output.
    static func expectEquivalent(_ before: Graph, _ after: Graph, base: ConstantTable, computed: ConstantStore,
                                 batch: Int, length: Int, file: String) throws {
        var inputs: [String: HostTensor] = [:]
        for id in before.inputs {
            let name = before.name(of: id), type = before.type(of: id)
            let shape = type.shape.map { dim -> Int in
                switch dim {
                case let .fixed(n): n
                case .batch: batch
                case .seq: length
                }
            }
            if type.element == .f32 {
                inputs[name] = HostTensor(shape: shape, floats: TestData.floats(shape.reduce(1, *), seed: TestData.seed(name)))
                continue
            }
            // Ids of a gather: rows of its table. Anything else is a mask: the last two
            // tokens of every batch row but the first are padding.
            let rows = before.ops.lazy.map { before[op: $0] }
                .first { $0.kind == .gather && $0.operands[1] == id }
                .flatMap { before.type(of: $0.operands[0]).shape[0].staticSize }
            let count = shape.reduce(1, *)
            let values: [Int32] = (0..<count).map { i in
                if let rows { return Int32((i * 7 + 3) % rows) }
                let (b, t) = (i / length, i % length)
                return b > 0 && t >= length - 2 ? 0 : 1
            }
            inputs[name] = HostTensor(shape: shape, ints: values)
        }
        let expected = try Interpreter(graph: before, constants: base).run(inputs: inputs)
        let actual = try Interpreter(graph: after, constants: computed).run(inputs: inputs)
        #expect(expected.count == actual.count)
        for (e, a) in zip(expected, actual) {
            #expect(e.shape == a.shape, "\(file): output shape")
            guard case let .f32(ev) = e.storage, case let .f32(av) = a.storage else {
                #expect(e == a, "\(file): integer output differs")
                continue
            }
            for (i, (x, y)) in zip(av, ev).enumerated() where !(abs(x - y) <= 1e-5 * (1 + abs(y))) {
                Issue.record("\(file): output element \(i) is \(x) after the passes, \(y) before")
                break
            }
        }
    }
}

/// The directives of one IR case.
struct Directives {
    var run: [String] = []
    var checks: [FileCheck.Directive] = []
    var noData = false
    var stats: [(String, String)] = []
    var batch = 2, length = 6

    init(_ text: String) {
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = raw.drop { $0 == " " }
            guard line.hasPrefix("//") else { continue }
            let body = line.dropFirst(2).drop { $0 == " " }
            func value(_ prefix: String) -> String? {
                body.hasPrefix(prefix) ? String(body.dropFirst(prefix.count).drop { $0 == " " }) : nil
            }
            if let list = value("RUN:") {
                run = Pipeline.parseList(list)
            } else if let pattern = value("CHECK-NEXT:") {
                checks.append(.next(pattern))
            } else if let pattern = value("CHECK-NOT:") {
                checks.append(.not(pattern))
            } else if let pattern = value("CHECK:") {
                checks.append(.match(pattern))
            } else if let stat = value("STATS:"), let colon = stat.firstIndex(of: ":") {
                stats.append((String(stat[..<colon]), String(stat[stat.index(after: colon)...].drop { $0 == " " })))
            } else if value("NO-DATA") != nil {
                noData = true
            } else if let shape = value("SHAPE:") {
                for part in shape.split(separator: " ") {
                    if part.hasPrefix("B="), let n = Int(part.dropFirst(2)) { batch = n }
                    if part.hasPrefix("T="), let n = Int(part.dropFirst(2)) { length = n }
                }
            }
        }
    }
}

/// A small FileCheck: literal substrings matched line by line.
enum FileCheck {
    enum Directive {
        case match(String), next(String), not(String)
    }

    static func check(_ output: String, _ directives: [Directive], file: String,
                      sourceLocation: SourceLocation = #_sourceLocation) {
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var position = -1           // line of the previous match
        var pendingNot: [String] = []
        func report(_ message: String) {
            Issue.record("\(file): \(message)\n--- output ---\n\(output)", sourceLocation: sourceLocation)
        }
        func checkNots(until end: Int) -> Bool {
            for pattern in pendingNot {
                if let hit = lines[(position + 1)..<end].first(where: { $0.contains(pattern) }) {
                    report("CHECK-NOT: '\(pattern)' found in line '\(hit)'")
                    return false
                }
            }
            pendingNot = []
            return true
        }
        for directive in directives {
            switch directive {
            case let .not(pattern):
                pendingNot.append(pattern)
            case let .match(pattern):
                guard let line = lines.indices.first(where: { $0 > position && lines[$0].contains(pattern) }) else {
                    report("CHECK: '\(pattern)' not found after line \(position + 1)")
                    return
                }
                guard checkNots(until: line) else { return }
                position = line
            case let .next(pattern):
                guard position + 1 < lines.count, lines[position + 1].contains(pattern) else {
                    report("CHECK-NEXT: '\(pattern)' is not on line \(position + 2)")
                    return
                }
                guard checkNots(until: position + 1) else { return }
                position += 1
            }
        }
        _ = checkNots(until: lines.count)
    }
}
