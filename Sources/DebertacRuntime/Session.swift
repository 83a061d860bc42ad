/// A compiled model's scratch memory and thread pool for batches up to fixed maxima
/// (`debertac_session *`); made by `CompiledModel.makeSession(maxBatch:maxLength:)`.
///
/// Not `Sendable`: the ABI allows one thread at a time per session, so make one session per
/// thread (sessions of one model give bit-identical results). Calls allocate nothing in the
/// model; the session keeps its model (and the .so) alive.
public final class Session {
    /// The model this session runs.
    public let model: CompiledModel
    /// The `debertac_session *`.
    package let rawSession: OpaquePointer

    init(model: CompiledModel, rawSession: OpaquePointer) {
        self.model = model
        self.rawSession = rawSession
    }

    deinit { model.api.sessionDestroy(rawSession) }

    /// `debertac_session_last_error`: what the last failed call was about; `""` after a success.
    public var lastError: String { model.api.lastError(rawSession).map { String(cString: $0) } ?? "" }

    /// Classifies a batch of token ids: `ids`, `mask` (1 = token, 0 = padding; nil = all ones)
    /// and `types` (nil = zeros) are `[batch][length]`, every row as long as the first. One
    /// `Prediction` per row.
    ///
    /// Throws `invalidArgument` for ragged or mismatched rows, an empty batch, a mask value other
    /// than 0/1 or a masked first token, and `outOfRange` for an id outside the vocabulary or a
    /// batch or length above the session's maxima (the model's message says which).
    public func classify(ids: [[Int32]], mask: [[Int32]]? = nil, types: [[Int32]]? = nil) throws(DebertacError) -> [Prediction] {
        let batch = ids.count, length = ids.first?.count ?? 0
        // The C call reads batch x length values from each array: a shorter row would make it
        // read past the end.
        for (name, rows) in [("ids", ids), ("mask", mask), ("types", types)] {
            guard let rows else { continue }
            guard rows.count == batch else {
                throw DebertacError(status: .invalidArgument, message: "'\(name)' has \(rows.count) rows, expected \(batch) (as 'ids')")
            }
            if let row = rows.firstIndex(where: { $0.count != length }) {
                throw DebertacError(status: .invalidArgument, message: "'\(name)' row \(row) has \(rows[row].count) tokens, expected \(length) (as 'ids' row 0)")
            }
        }
        // At least one element, so that an empty batch reaches the model's own check.
        func flat(_ rows: [[Int32]]) -> [Int32] { batch * length == 0 ? [0] : rows.flatMap { $0 } }
        let flatIds = flat(ids), flatMask = mask.map(flat), flatTypes = types.map(flat)
        var logits = [Float](repeating: .nan, count: max(batch * model.numLabels, 1))
        let status = flatIds.withUnsafeBufferPointer { i in
            withOptionalBuffer(flatMask) { m in
                withOptionalBuffer(flatTypes) { t in
                    model.api.classify(rawSession, Int32(clamping: batch), Int32(clamping: length), i.baseAddress, m, t, &logits)
                }
            }
        }
        try check(status)
        return predictions(logits, batch: batch)
    }

    /// Throws the status and last error of a failed call.
    func check(_ status: DebertacABI.Status) throws(DebertacError) {
        guard status == 0 else { throw DebertacError(status: .init(raw: status), message: lastError) }
    }

    /// `batch` predictions from row-major `[batch, num_labels]` logits.
    func predictions(_ logits: [Float], batch: Int) -> [Prediction] {
        let width = model.numLabels
        return (0..<batch).map { Prediction(logits: Array(logits[($0 * width)..<(($0 + 1) * width)]), labels: model.labels) }
    }
}

/// Sessions are used by one thread at a time (include/debertac.h): never Sendable.
@available(*, unavailable)
extension Session: Sendable {}

private func withOptionalBuffer<R>(_ values: [Int32]?, _ body: (UnsafePointer<Int32>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}
