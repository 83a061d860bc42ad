import DebertacIR

/// What passes share besides the graph: the constant store, the model's limits, and the
/// remarks they leave for the user.
///
/// A reference type: passes add computed constants and remarks, and the caller (driver,
/// tests, backend) reads them after the pipeline.
public final class PassContext {
    /// Data of the graph's constants: checkpoint weights (when known) and tensors computed
    /// by passes.
    public let constants: ConstantStore
    /// The longest sequence the compiled model must serve: `max_position_embeddings` when
    /// compiling a checkpoint. Sizes the relative-position table (`radius = maxSequenceLength − 1`).
    public let maxSequenceLength: Int
    /// The arithmetic of the per-token matrix products (`--precision`; `assign-precision`).
    public let precision: ComputePrecision
    /// Things the user should know (e.g. ops left unfolded because their data is unknown),
    /// as `pass-name: message`. The driver prints them to stderr as `note: ...`.
    public private(set) var remarks: [String] = []

    /// A context over `constants` for models serving sequences up to `maxSequenceLength`.
    public init(constants: ConstantStore, maxSequenceLength: Int, precision: ComputePrecision = .fp32) {
        precondition(maxSequenceLength >= 1, "maxSequenceLength must be positive")
        self.constants = constants
        self.maxSequenceLength = maxSequenceLength
        self.precision = precision
    }

    /// Records a remark from `pass`.
    public func remark(_ pass: String, _ message: String) {
        remarks.append("\(pass): \(message)")
    }
}
