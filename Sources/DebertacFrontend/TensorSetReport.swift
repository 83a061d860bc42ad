/// How a checkpoint's tensors differ from what its configuration needs.
///
/// All differences are collected before reporting, so a user fixes a checkpoint in one go.
public struct TensorSetReport: Equatable, Sendable, CustomStringConvertible {
    /// A tensor whose shape differs from the expected one.
    public struct Mismatch: Equatable, Sendable {
        public let name: String
        public let shape: [Int]
        public let expected: [Int]
    }

    /// Expected tensors absent from the checkpoint, with the shape they should have.
    public var missing: [ExpectedTensors.Entry] = []
    /// Checkpoint tensors the model does not use (tolerated extras excluded).
    public var unexpected: [ExpectedTensors.Entry] = []
    /// Tensors present with the wrong shape.
    public var misshaped: [Mismatch] = []
    /// Floating-point tensors that are expected but whose dtype cannot serve as weights.
    public var nonFloat: [String] = []
    /// Tensors present but knowingly ignored (e.g. `position_ids`).
    public var ignored: [String] = []

    /// Whether the checkpoint holds exactly the tensors the configuration needs.
    public var isValid: Bool { missing.isEmpty && unexpected.isEmpty && misshaped.isEmpty && nonFloat.isEmpty }

    /// Compares `checkpoint`'s tensors with what its configuration needs.
    public static func check(_ checkpoint: Checkpoint) -> TensorSetReport {
        check(tensors: checkpoint.tensors.map { ($0.name, $0.shape, $0.dtype) }, config: checkpoint.config)
    }

    /// Compares a list of (name, shape, dtype) with what `config` needs.
    public static func check(tensors: [(name: String, shape: [Int], dtype: DType)], config: DebertaConfig) -> TensorSetReport {
        var report = TensorSetReport()
        let expected = ExpectedTensors.entries(for: config)
        let present = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let expectedNames = Set(expected.map(\.name))
        for entry in expected {
            guard let tensor = present[entry.name] else {
                report.missing.append(entry)
                continue
            }
            if tensor.shape != entry.shape {
                report.misshaped.append(Mismatch(name: entry.name, shape: tensor.shape, expected: entry.shape))
            } else if !tensor.dtype.isFloatingPoint {
                report.nonFloat.append(entry.name)
            }
        }
        for tensor in tensors where !expectedNames.contains(tensor.name) {
            if ExpectedTensors.isTolerated(tensor.name, config: config) {
                report.ignored.append(tensor.name)
            } else {
                report.unexpected.append(ExpectedTensors.Entry(name: tensor.name, shape: tensor.shape))
            }
        }
        return report
    }

    public var description: String {
        var lines = ["checkpoint tensors do not match config.json:"]
        for entry in misshaped {
            lines.append("  tensor '\(entry.name)' has shape \(entry.shape), expected \(entry.expected)")
        }
        for entry in missing {
            lines.append("  tensor '\(entry.name)' with shape \(entry.shape) is missing")
        }
        for entry in unexpected {
            lines.append("  tensor '\(entry.name)' with shape \(entry.shape) is not used by this configuration")
        }
        for name in nonFloat {
            lines.append("  tensor '\(name)' is not a floating-point tensor")
        }
        return lines.joined(separator: "\n")
    }
}
