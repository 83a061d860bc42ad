import DebertacInterpreter
import DebertacFrontend

/// The weights payload of a compiled model: every tensor the kernels read, as fp32 (or i32
/// tables; packed matrices that fp16 or bf16 holds exactly in 2 bytes), in the layout each
/// kernel wants, at 64-byte-aligned offsets.
///
/// Kernels register what they read while the module is generated (`offset(of:)`); the
/// payload is written afterwards, in registration order, streaming one tensor at a time so
/// that a 6 GB model never sits in memory whole. Entries are deduplicated by source.
final class WeightsLayout {
    /// What one entry holds.
    enum Source: Hashable {
        /// A constant (checkpoint or pass-computed tensor) as it is: row-major fp32.
        case tensor(String)
        /// A `conv1d` weight `[Cout, Cg, K]` re-laid out tap-major, `[K, Cout, Cg]`, so that each
        /// tap's `[Cout, Cg]` matrix is contiguous for sgemm.
        case convTaps(String, outChannels: Int, perGroup: Int, kernel: Int)
        /// Constants stacked along their first axis (`concat_rows` of weights).
        case concat([String])
        /// A compile-time integer table (relative-position buckets).
        case ints([Int32])
        /// A `[rows, columns]` matrix (a `linear` weight, torch layout) packed for the matrix
        /// product kernel (`Kernels+PackedMatmul.swift`): panels of `width` rows, each stored
        /// column by column (`[⌈rows / width⌉, columns, width]`), the last panel zero-padded,
        /// each element in `precision`.
        indirect case panels(Source, rows: Int, columns: Int, width: Int, precision: Precision)
        /// A `[rows, heads · headSize]` matrix (position embeddings projected for all heads)
        /// packed per head for the matrix product kernel: head h's `[rows, headSize]` block
        /// transposed into panels of `width` rows (`[heads, ⌈rows / width⌉, headSize, width]`),
        /// zero-padded, so that row r becomes column r of the product.
        indirect case headPanels(Source, rows: Int, heads: Int, headSize: Int, width: Int)
        /// A `[rows, columns]` `linear` weight for the reduced-precision kernels
        /// (`Kernels+ReducedMatmul.swift`), in panels of `width` rows (output channels):
        /// - bf16: every value rounded to bfloat16 (to nearest, ties to even); panel p holds
        ///   `[⌈columns / 2⌉, width, 2]`: per step, each output channel's 2 consecutive reduction
        ///   elements (the pair one `vdpbf16ps` lane multiplies), zero-padded.
        /// - int8: each row (output channel) scaled by max|w| / 127 and rounded to int8; panel p
        ///   holds `[⌈columns / 4⌉, width, 4]` (the quad one `vpdpbusd` lane multiplies); after
        ///   the panels, the padded rows' scales (fp32), then the sums of their int8 values (int32).
        /// Its elements are bytes (`ReducedPrecision.weightBytes`).
        indirect case reducedPanels(Source, rows: Int, columns: Int, width: Int, format: ReducedPrecision)
        /// `headPanels` in bfloat16 pairs for the bf16 attention (`Kernels+Attention.swift`): head h's
        /// `[rows, headSize]` block as panels of `width` rows, each `[⌈headSize / 2⌉, width, 2]`
        /// (panel p, step s, lane l: elements 2s, 2s + 1 of row `width · p + l`), rounded to nearest,
        /// zero-padded. Its elements are bytes.
        indirect case bf16HeadPanels(Source, rows: Int, heads: Int, headSize: Int, width: Int)
        /// A plain source with every value rounded to bfloat16 (to nearest, ties to even): the
        /// weights of `--precision bf16` on a target without AVX512-BF16, which the fp32 kernel
        /// reads as bf16 storage (`Precision.bf16`).
        indirect case roundedToBF16(Source)

        /// Whether the source is a plain fp32 matrix that `panels` can re-lay out.
        var isPackable: Bool {
            switch self {
            case .tensor, .concat, .roundedToBF16: true
            default: false
            }
        }

        /// The constants a `.tensor` or `.concat` source is made of, unchanged; nil for others.
        var tensorNames: [String]? {
            switch self {
            case let .tensor(name): [name]
            case let .concat(names): names
            default: nil
            }
        }

        /// Elements of a packed matrix.
        static func panelElements(rows: Int, columns: Int, width: Int) -> Int {
            (rows + width - 1) / width * width * columns
        }

        /// Bytes per element.
        var elementBytes: Int {
            switch self {
            case let .panels(_, _, _, _, precision): precision.bytes
            case .reducedPanels, .bf16HeadPanels: 1
            default: 4
            }
        }
    }

    /// How the elements of packed panels are stored. A weight whose every value is exactly a
    /// binary16 (or bfloat16) number, as in an fp16 (bf16) checkpoint, takes 2 bytes an element
    /// and is widened to fp32 in the kernel: the same fp32 values, so the same results, from
    /// half the bytes streamed from memory at every call.
    enum Precision: String, Hashable, CustomStringConvertible {
        case f32, f16, bf16

        var bytes: Int { self == .f32 ? 4 : 2 }
        var description: String { rawValue }

        /// The narrowest storage holding every value exactly (f16 before bf16: one instruction
        /// widens it); `allowHalf` false leaves f16 out (targets without a half-to-float
        /// conversion instruction).
        static func narrowest(exactlyHolding values: [Float], allowHalf: Bool) -> Precision {
            if allowHalf, values.allSatisfy({ Float(Float16($0)).bitPattern == $0.bitPattern }) { return .f16 }
            if values.allSatisfy({ $0.bitPattern & 0xFFFF == 0 }) { return .bf16 }
            return .f32
        }

        /// The 2-byte encodings of `values`, which must be exact in this precision (not f32).
        func encode(_ values: [Float]) -> [UInt16]? {
            switch self {
            case .f32: return nil
            case .f16:
                let halves = values.map { Float16($0) }
                guard zip(halves, values).allSatisfy({ Float($0).bitPattern == $1.bitPattern }) else { return nil }
                return halves.map(\.bitPattern)
            case .bf16:
                guard values.allSatisfy({ $0.bitPattern & 0xFFFF == 0 }) else { return nil }
                return values.map { UInt16($0.bitPattern >> 16) }
            }
        }
    }

    struct Entry {
        let source: Source
        /// Byte offset in the payload (a multiple of `alignment`).
        let offset: Int
        /// Bytes of data (`Source.elementBytes` per element), before padding.
        let bytes: Int
    }

    /// Alignment of every entry (a cache line; AVX-512 loads).
    static let alignment = 64

    private(set) var entries: [Entry] = []
    private var index: [Source: Int] = [:]
    /// Payload size in bytes (a multiple of `alignment`).
    private(set) var size = 0

    /// The offset of `source`'s data, registering it (with `elements` elements) on first use.
    func offset(of source: Source, elements: Int) -> Int {
        if let i = index[source] { return entries[i].offset }
        let entry = Entry(source: source, offset: size, bytes: elements * source.elementBytes)
        index[source] = entries.count
        entries.append(entry)
        size += (entry.bytes + Self.alignment - 1) / Self.alignment * Self.alignment
        return entry.offset
    }

    /// Writes the payload to `writer` (which is positioned at its start), returning its digest.
    /// `progress` is called with the bytes written so far.
    func write(to writer: BinaryFileWriter, constants: any ConstantProvider,
               progress: (Int) -> Void) throws(BackendError) -> UInt64 {
        var digest = WeightsDigest()
        let start = writer.position
        for entry in entries {
            let padding = [UInt8](repeating: 0, count: (Self.alignment - entry.bytes % Self.alignment) % Self.alignment)
            // `withData` hands over the entry's bytes in one piece, or in chunks when it streams.
            var received = 0
            try withData(of: entry.source, constants: constants) { (raw) throws(BackendError) in
                received += raw.count
                guard received <= entry.bytes else {
                    let size = entry.source.elementBytes
                    throw .constantUnavailable(name: "\(entry.source)", message: "has more than the \(entry.bytes / size) elements expected")
                }
                digest.update(raw)
                try writer.write(raw)
            }
            guard received == entry.bytes else {
                let size = entry.source.elementBytes
                throw .constantUnavailable(name: "\(entry.source)", message: "has \(received / size) elements, expected \(entry.bytes / size)")
            }
            padding.withUnsafeBytes { digest.update($0) }
            try writer.write(padding)
            progress(writer.position - start)
        }
        precondition(writer.position - start == size, "weights payload size mismatch")
        return digest.finalize()
    }

    /// Calls `body` with the entry's bytes (4-byte floats, or ints), without copying tensors
    /// that need no re-layout.
    private func withData(of source: Source, constants: any ConstantProvider,
                          _ body: (UnsafeRawBufferPointer) throws(BackendError) -> Void) throws(BackendError) {
        switch source {
        case let .tensor(name):
            if let record = constants.checkpointRecord(named: name), record.isContiguous, record.dtype.isFloatingPoint,
               record.elementCount > Self.streamingChunk {
                return try streamFloats(of: record, body)
            }
            try withTensorBytes(tensor(name, constants), body)
        case let .convTaps(name, outChannels, perGroup, kernel):
            let w = try tensor(name, constants).floats
            guard w.count == outChannels * perGroup * kernel else {
                throw .constantUnavailable(name: name, message: "has \(w.count) elements, expected \(outChannels * perGroup * kernel)")
            }
            var out = [Float](repeating: 0, count: w.count)
            for o in 0..<outChannels {
                for c in 0..<perGroup {
                    for tap in 0..<kernel {
                        out[(tap * outChannels + o) * perGroup + c] = w[(o * perGroup + c) * kernel + tap]
                    }
                }
            }
            try withBytes(of: out, body)
        case let .concat(names):
            var out: [Float] = []
            for name in names {
                let t = try tensor(name, constants)
                switch t.storage {
                case let .f32(values): out += values
                case let .i32(values): out += values.map { Float(bitPattern: UInt32(bitPattern: $0)) }
                }
            }
            try withBytes(of: out, body)
        case let .ints(values):
            try withBytes(of: values, body)
        case let .headPanels(inner, rows, heads, headSize, width):
            let w = try floats(of: inner, constants: constants)
            guard w.count == rows * heads * headSize else {
                throw .constantUnavailable(name: "\(inner)", message: "has \(w.count) elements, expected \(rows * heads * headSize)")
            }
            let padded = (rows + width - 1) / width * width
            var out = [Float](repeating: 0, count: heads * padded * headSize)
            for h in 0..<heads {
                for row in 0..<rows {
                    let (panel, lane) = (row / width, row % width)
                    for c in 0..<headSize {
                        out[((h * (padded / width) + panel) * headSize + c) * width + lane] = w[row * heads * headSize + h * headSize + c]
                    }
                }
            }
            try withBytes(of: out, body)
        case let .panels(inner, rows, columns, width, precision):
            let w = try floats(of: inner, constants: constants)
            guard w.count == rows * columns else {
                throw .constantUnavailable(name: "\(inner)", message: "has \(w.count) elements, expected \(rows * columns)")
            }
            var out = [Float](repeating: 0, count: Source.panelElements(rows: rows, columns: columns, width: width))
            for row in 0..<rows {
                let panel = row / width, lane = row % width
                for column in 0..<columns {
                    out[(panel * columns + column) * width + lane] = w[row * columns + column]
                }
            }
            if precision == .f32 { return try withBytes(of: out, body) }
            guard let encoded = precision.encode(out) else {
                throw .constantUnavailable(name: "\(inner)", message: "has values that \(precision) does not hold exactly")
            }
            try withBytes(of: encoded, body)
        case .roundedToBF16:
            try withBytes(of: floats(of: source, constants: constants), body)
        case let .bf16HeadPanels(inner, rows, heads, headSize, width):
            let w = try floats(of: inner, constants: constants)
            guard w.count == rows * heads * headSize else {
                throw .constantUnavailable(name: "\(inner)", message: "has \(w.count) elements, expected \(rows * heads * headSize)")
            }
            try withBytes(of: Self.bf16HeadPanels(w, rows: rows, heads: heads, headSize: headSize, width: width), body)
        case let .reducedPanels(inner, rows, columns, width, format):
            let w = try floats(of: inner, constants: constants)
            guard w.count == rows * columns else {
                throw .constantUnavailable(name: "\(inner)", message: "has \(w.count) elements, expected \(rows * columns)")
            }
            try withBytes(of: format.pack(w, rows: rows, columns: columns, width: width), body)
        }
    }

    /// Elements converted at a time when a large checkpoint tensor is streamed.
    static let streamingChunk = 1 << 20

    /// Calls `body` with the fp32 bytes of the contiguous checkpoint tensor `record`, converted
    /// a chunk at a time from the mapped file (the same conversion as `TensorRecord.floats()`),
    /// dropping each chunk's file pages after use: a large embedding matrix never sits in memory
    /// whole, neither as fp32 nor as mapped pages. `body` is called once per chunk.
    private func streamFloats(of record: TensorRecord, _ body: (UnsafeRawBufferPointer) throws(BackendError) -> Void) throws(BackendError) {
        var chunk = [Float](repeating: 0, count: Self.streamingChunk)
        var start = 0
        while start < record.elementCount {
            let count = min(Self.streamingChunk, record.elementCount - start)
            do {
                try chunk.withUnsafeMutableBufferPointer { try record.copyFloats(from: start, count: count, into: $0) }
            } catch {
                throw .constantUnavailable(name: record.name, message: "\(error)")
            }
            record.file.releasePages(offset: record.byteOffset + start * record.dtype.size, count: count * record.dtype.size)
            try withBytes(of: chunk) { (raw) throws(BackendError) in try body(UnsafeRawBufferPointer(rebasing: raw[0..<count * 4])) }
            start += count
        }
    }

    /// Bytes of `Source.bf16HeadPanels`.
    static func bf16HeadPanelBytes(rows: Int, heads: Int, headSize: Int, width: Int) -> Int {
        heads * ((rows + width - 1) / width * width) * ((headSize + 1) / 2 * 2) * 2
    }

    /// The bf16 pair panels of each head of the row-major `[rows, heads · headSize]` matrix `w`.
    static func bf16HeadPanels(_ w: [Float], rows: Int, heads: Int, headSize: Int, width: Int) -> [UInt16] {
        let panels = (rows + width - 1) / width, steps = (headSize + 1) / 2
        var out = [UInt16](repeating: 0, count: heads * panels * steps * width * 2)
        for h in 0..<heads {
            for row in 0..<rows {
                let (panel, lane) = (row / width, row % width)
                for c in 0..<headSize {
                    let at = (((h * panels + panel) * steps + c / 2) * width + lane) * 2 + c % 2
                    out[at] = ReducedPrecision.bf16Bits(w[row * heads * headSize + h * headSize + c])
                }
            }
        }
        return out
    }

    /// The narrowest precision that holds every value of the plain source `source` exactly
    /// (see `Precision.narrowest`). A source made only of checkpoint tensors stored as F16 is
    /// f16 (when `allowHalf`) without reading it, so that the payload writer is the only
    /// reader of those weights (each weight is read from the checkpoint once); otherwise this
    /// reads the data.
    func narrowestPrecision(of source: Source, constants: any ConstantProvider, allowHalf: Bool) throws(BackendError) -> Precision {
        if allowHalf, let names = source.tensorNames, !names.isEmpty,
           names.allSatisfy({ constants.checkpointRecord(named: $0)?.dtype == .f16 }) {
            return .f16
        }
        return Precision.narrowest(exactlyHolding: try floats(of: source, constants: constants), allowHalf: allowHalf)
    }

    /// The floats of a plain (unpacked) source.
    private func floats(of source: Source, constants: any ConstantProvider) throws(BackendError) -> [Float] {
        switch source {
        case let .tensor(name):
            return try tensor(name, constants).floats
        case let .concat(names):
            var out: [Float] = []
            for name in names { out += try tensor(name, constants).floats }
            return out
        case let .roundedToBF16(inner):
            return try floats(of: inner, constants: constants).map(ReducedPrecision.roundedToBF16)
        default:
            throw .constantUnavailable(name: "\(source)", message: "cannot be packed")
        }
    }

    private func withTensorBytes(_ tensor: HostTensor, _ body: (UnsafeRawBufferPointer) throws(BackendError) -> Void) throws(BackendError) {
        switch tensor.storage {
        case let .f32(values): try withBytes(of: values, body)
        case let .i32(values): try withBytes(of: values, body)
        }
    }

    private func tensor(_ name: String, _ constants: any ConstantProvider) throws(BackendError) -> HostTensor {
        do {
            return try constants.constant(named: name)
        } catch {
            throw .constantUnavailable(name: name, message: "\(error)")
        }
    }
}
