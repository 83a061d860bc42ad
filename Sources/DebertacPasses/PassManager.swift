import DebertacIR

/// Runs a list of passes over a graph, with MLIR's instrumentation: verification after
/// each pass, IR printing before/after passes, numbered dumps, and per-pass statistics.
///
///     var graph = try DebertaGraphBuilder.build(checkpoint: checkpoint)
///     let context = PassContext(constants: ConstantStore(base: CheckpointConstants(checkpoint: checkpoint)),
///                               maxSequenceLength: checkpoint.config.maxPositionEmbeddings)
///     let manager = PassManager(passes: Pipeline.defaultPasses(), instrumentation: .init(verifyEach: true))
///     try manager.run(&graph, context: context)
///     // graph is optimised; context.constants serves every constant it names.
public struct PassManager {
    /// The passes, in the order they run.
    public var passes: [any Pass]
    /// What to verify, print, dump and report.
    public var instrumentation: PassInstrumentation
    /// Receives IR dumps and `--stats` lines (the driver writes them to stderr). Each call
    /// is one or more complete lines, ending with a newline.
    public var log: (String) -> Void

    /// A manager for `passes`.
    public init(passes: [any Pass], instrumentation: PassInstrumentation = PassInstrumentation(),
                log: @escaping (String) -> Void = { _ in }) {
        self.passes = passes
        self.instrumentation = instrumentation
        self.log = log
    }

    /// The line that introduces an IR dump, as MLIR writes it:
    /// `// -----// IR Dump After fold-constants //----- //`.
    public static func dumpHeader(_ when: String, _ pass: String) -> String {
        "// -----// IR Dump \(when) \(pass) //----- //"
    }

    /// Runs every pass over `graph` in order. Afterwards, computed constants the graph no
    /// longer names are dropped from `context.constants`. Returns one record per pass.
    @discardableResult
    public func run(_ graph: inout Graph, context: PassContext) throws(PassError) -> [PassRecord] {
        let options = instrumentation
        if options.verifyEach { try verify(graph, after: "input") }
        if let directory = options.dumpDirectory {
            try IRDumpFiles.prepare(directory)
            try IRDumpFiles.write(graph.printed(), to: IRDumpFiles.path(directory, index: 0, stage: "input"))
        }
        var records: [PassRecord] = []
        for (index, pass) in passes.enumerated() {
            let name = pass.name
            let needsBefore = options.printAfterChange
            let before = needsBefore || options.printBefore.contains(name) ? graph.printed() : nil
            if options.printBefore.contains(name), let before {
                log(PassManager.dumpHeader("Before", name) + "\n" + before)
            }
            let statistics: PassStatistics
            do {
                statistics = try pass.run(on: &graph, context: context)
            } catch let error as PassError {
                throw error
            } catch {
                throw .passFailed(pass: name, message: "\(error)")
            }
            let after = graph.printed()
            let changed = before.map { $0 != after } ?? statistics.changedAnything
            if options.printAfterAll || options.printAfter.contains(name) || (options.printAfterChange && changed) {
                log(PassManager.dumpHeader("After", name) + "\n" + after)
            }
            if let directory = options.dumpDirectory {
                try IRDumpFiles.write(after, to: IRDumpFiles.path(directory, index: index + 1, stage: name))
            }
            if options.stats { log("\(name): \(statistics)\n") }
            if options.verifyEach { try verify(graph, after: name) }
            records.append(PassRecord(name: name, statistics: statistics, changed: changed))
        }
        let named = Set(graph.ops.compactMap { graph[op: $0].constantName })
        context.constants.retainComputed(only: named)
        return records
    }

    private func verify(_ graph: Graph, after pass: String) throws(PassError) {
        let diagnostics = graph.verificationDiagnostics()
        guard diagnostics.isEmpty else {
            throw .verificationFailed(pass: pass, diagnostics: diagnostics.map(\.description).joined(separator: "\n"))
        }
    }
}

/// What the pass manager checks and reports besides running passes (MLIR's options).
public struct PassInstrumentation: Sendable, Equatable {
    /// Run the verifier on the input and after every pass (`--verify-each`; tests always do).
    public var verifyEach: Bool
    /// Print the IR before these passes (`--print-ir-before=PASS`).
    public var printBefore: Set<String>
    /// Print the IR after these passes (`--print-ir-after=PASS`).
    public var printAfter: Set<String>
    /// Print the IR after every pass (`--print-ir-after-all`).
    public var printAfterAll: Bool
    /// Print the IR after every pass that changed its text (`--print-ir-after-change`).
    public var printAfterChange: Bool
    /// Write `00-input.ir`, `01-<pass>.ir`, ... into this folder (`--dump-ir=DIR`).
    public var dumpDirectory: String?
    /// Log one summary line per pass (`--stats`).
    public var stats: Bool

    /// Options as given; by default nothing beyond running the passes.
    public init(verifyEach: Bool = false, printBefore: Set<String> = [], printAfter: Set<String> = [],
                printAfterAll: Bool = false, printAfterChange: Bool = false, dumpDirectory: String? = nil,
                stats: Bool = false) {
        self.verifyEach = verifyEach
        self.printBefore = printBefore
        self.printAfter = printAfter
        self.printAfterAll = printAfterAll
        self.printAfterChange = printAfterChange
        self.dumpDirectory = dumpDirectory
        self.stats = stats
    }
}

/// One pass's run: its name, what it reported, and whether the IR text changed.
public struct PassRecord: Sendable, Equatable {
    /// The pass's name.
    public let name: String
    /// Its counters.
    public let statistics: PassStatistics
    /// Whether the printed IR differs from before the pass (when the manager printed it),
    /// else whether any counter is non-zero.
    public let changed: Bool
}

/// The numbered files of `--dump-ir=DIR`.
enum IRDumpFiles {
    /// `DIR/07-fold-constants.ir`.
    static func path(_ directory: String, index: Int, stage: String) -> String {
        let number = index < 10 ? "0\(index)" : "\(index)"
        return (directory.hasSuffix("/") ? directory : directory + "/") + "\(number)-\(stage).ir"
    }

    static func prepare(_ directory: String) throws(PassError) {
        do {
            try OutputFile.makeDirectory(directory)
        } catch {
            throw .cannotWrite(path: directory, message: error.message)
        }
    }

    static func write(_ text: String, to path: String) throws(PassError) {
        do {
            try OutputFile.write(text, to: path)
        } catch {
            throw .cannotWrite(path: path, message: error.message)
        }
    }
}
