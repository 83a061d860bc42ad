#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import DebertacIR
import DebertacPasses

extension ComputePrecision: ExpressibleByArgument {}

/// The optimisation-pipeline options shared by `opt` and `compile` (MLIR's habits):
/// pass selection, verification, IR printing and dumps, statistics, and the memory plan.
struct PipelineOptions: ParsableArguments {
    @Option(name: .customLong("passes"),
            help: ArgumentHelp("Comma-separated passes to run instead of the default pipeline; '--passes=' runs none.",
                               valueName: "a,b,c"))
    var passes: String?

    @Option(name: .customLong("disable-pass"), help: ArgumentHelp("Drop this pass from the pipeline (repeatable).", valueName: "pass"))
    var disabledPasses: [String] = []

    @Option(help: ArgumentHelp("Arithmetic of the per-token matrix products: fp32, bf16 or int8 (docs/precision.md).", valueName: "fp32|bf16|int8"))
    var precision: ComputePrecision = .fp32

    @Flag(name: .customLong("verify-each"), help: "Run the verifier on the input and after every pass.")
    var verifyEach = false

    @Option(name: .customLong("print-ir-before"), help: ArgumentHelp("Print the IR to stderr before this pass (repeatable, or comma-separated).", valueName: "pass"))
    var printIRBefore: [String] = []

    @Option(name: .customLong("print-ir-after"), help: ArgumentHelp("Print the IR to stderr after this pass (repeatable, or comma-separated).", valueName: "pass"))
    var printIRAfter: [String] = []

    @Flag(name: .customLong("print-ir-after-all"), help: "Print the IR to stderr after every pass.")
    var printIRAfterAll = false

    @Flag(name: .customLong("print-ir-after-change"), help: "Print the IR to stderr after every pass that changed it.")
    var printIRAfterChange = false

    @Option(name: .customLong("dump-ir"), help: ArgumentHelp("Write the IR of every stage to DIR/00-input.ir, DIR/01-<pass>.ir, ...", valueName: "dir"))
    var dumpIR: String?

    @Flag(name: .customLong("stats"), help: "Print one line per pass to stderr: what it changed.")
    var stats = false

    @Flag(name: .customLong("list-passes"), help: "List the default pipeline's passes, in order, and exit.")
    var listPasses = false

    @Flag(name: .customLong("print-memory-plan"),
          help: "Print every buffer's live interval, size and arena offset, then {\"arena_bytes\": N, \"lower_bound_bytes\": M}.")
    var printMemoryPlan = false

    @Option(name: .customLong("max-batch"), help: "Maximum batch size for --print-memory-plan.")
    var maxBatch = 1

    @Option(name: .customLong("max-length"), help: "Maximum sequence length for --print-memory-plan (default: the model's max_position_embeddings).")
    var maxLength: Int?

    func validate() throws {
        guard maxBatch >= 1 else { throw ValidationError("'--max-batch' is \(maxBatch), expected a positive integer") }
        if let maxLength, maxLength < 1 { throw ValidationError("'--max-length' is \(maxLength), expected a positive integer") }
    }

    /// `--list-passes` text: `name  summary`, one line per pass of the default pipeline.
    static var passList: String {
        let passes = Pipeline.defaultPasses()
        let width = passes.map(\.name.count).max() ?? 0
        return passes.map { $0.name + String(repeating: " ", count: width - $0.name.count) + "  " + $0.summary }
            .joined(separator: "\n")
    }

    /// The passes to run: `--passes` or the default pipeline, minus `--disable-pass`.
    func selectedPasses() throws(PassError) -> [any Pass] {
        let disabled = disabledPasses.flatMap(Pipeline.parseList)
        return try Pipeline.passes(list: passes.map(Pipeline.parseList), disabled: disabled)
    }

    /// The pass manager's instrumentation for these flags; pass names must exist.
    func instrumentation() throws(PassError) -> PassInstrumentation {
        let before = printIRBefore.flatMap(Pipeline.parseList), after = printIRAfter.flatMap(Pipeline.parseList)
        for name in before + after { _ = try Pipeline.pass(named: name) }
        return PassInstrumentation(verifyEach: verifyEach, printBefore: Set(before), printAfter: Set(after),
                                   printAfterAll: printIRAfterAll, printAfterChange: printIRAfterChange,
                                   dumpDirectory: dumpIR, stats: stats)
    }

    /// Runs the selected passes over `graph`; dumps and statistics go to stderr, then the
    /// passes' remarks as `note: ...` lines.
    func run(_ graph: inout Graph, context: PassContext) throws {
        let manager = PassManager(passes: try selectedPasses(), instrumentation: try instrumentation(),
                                  log: { writeStandardError($0) })
        try manager.run(&graph, context: context)
        for remark in context.remarks { printError("note: \(remark)") }
    }

    /// Prints the memory plan if `--print-memory-plan` was given: to stdout, or to stderr
    /// when stdout already carries the IR.
    func printMemoryPlanIfRequested(_ graph: Graph, defaultLength: Int, stdoutTaken: Bool) {
        guard printMemoryPlan else { return }
        let report = MemoryPlan.build(for: graph).report(maxBatch: maxBatch, maxLength: maxLength ?? defaultLength)
        if stdoutTaken { writeStandardError(report) } else { print(report, terminator: "") }
    }
}

/// Where an output goes: a file written atomically, or stdout for `-`.
func writeOutput(_ text: String, to path: String) throws {
    if path == "-" {
        print(text, terminator: "")
        return
    }
    do {
        try OutputFile.write(text, to: path)
    } catch {
        throw PassError.cannotWrite(path: path, message: error.message)
    }
}

/// Writes `text` as is to standard error (IR dumps, statistics), retrying short writes.
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}
