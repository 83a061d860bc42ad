/// One named tensor of a checkpoint: its element type, shape and where its bytes are.
///
/// The bytes stay in the memory-mapped file; `copyFloats(into:)` converts them to fp32
/// on demand. Shapes are row-major (PyTorch order, e.g. a linear weight is `[out, in]`).
public struct TensorRecord: Sendable {
    /// Name as stored in the checkpoint, after prefix normalisation (see `Checkpoint`).
    public var name: String
    /// Element type as stored.
    public let dtype: DType
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// Element strides, outermost first. Row-major contiguous for safetensors; PyTorch
    /// checkpoints may store views with other strides, which conversion honours.
    public let strides: [Int]
    /// Number of elements (the product of `shape`).
    public let elementCount: Int
    /// The file holding the bytes.
    public let file: MappedFile
    /// Byte offset, in `file`, of the element at index `[0, 0, ...]`.
    public let byteOffset: Int

    /// Creates a record after checking that every element it can address lies inside
    /// `region` (a byte range of `file`: the tensor's storage or data section).
    ///
    /// Throws `CheckpointError.tensorOutOfBounds` on overflow or out-of-range access.
    public init(
        name: String, dtype: DType, shape: [Int], strides: [Int]? = nil,
        file: MappedFile, byteOffset: Int, region: Range<Int>
    ) throws {
        let fail = { (message: String) in CheckpointError.tensorOutOfBounds(file: file.path, tensor: name, message: message) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("negative dimension in shape \(shape)") }
        var count = 1
        for dim in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw fail("shape \(shape) has more elements than fit in 64 bits") }
            count = product
        }
        // A view (e.g. stride 0) can have more elements than its storage: `byteCount` must still fit.
        guard !count.multipliedReportingOverflow(by: dtype.size).overflow else {
            throw fail("shape \(shape) of \(dtype.rawValue) has more bytes than fit in 64 bits")
        }
        let strides = strides ?? TensorRecord.contiguousStrides(shape)
        guard strides.count == shape.count else { throw fail("shape \(shape) and strides \(strides) differ in rank") }
        guard strides.allSatisfy({ $0 >= 0 }) else { throw fail("negative stride in \(strides)") }
        if count > 0 {
            // Highest element index reachable: sum of (dim - 1) * stride, with overflow checks.
            var last = 0
            for (dim, stride) in zip(shape, strides) {
                let (step, o1) = (dim - 1).multipliedReportingOverflow(by: stride)
                let (sum, o2) = last.addingReportingOverflow(step)
                guard !o1, !o2 else { throw fail("strides \(strides) overflow for shape \(shape)") }
                last = sum
            }
            let (lastByte, o3) = last.multipliedReportingOverflow(by: dtype.size)
            let (span, o4) = lastByte.addingReportingOverflow(dtype.size)
            let (end, o5) = byteOffset.addingReportingOverflow(span)
            guard !o3, !o4, !o5, byteOffset >= region.lowerBound, end <= region.upperBound, end <= file.size else {
                throw fail("bytes [\(byteOffset), +\(count) × \(dtype.size)) fall outside their storage [\(region.lowerBound), \(region.upperBound))")
            }
        }
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.elementCount = count
        self.file = file
        self.byteOffset = byteOffset
    }

    /// Row-major strides for `shape`.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in shape.indices.reversed() {
            strides[axis] = running
            running = running &* max(shape[axis], 1)
        }
        return strides
    }

    /// Size of the tensor's data in bytes, in its stored dtype.
    public var byteCount: Int { elementCount * dtype.size }

    /// Whether elements are stored densely in row-major order.
    public var isContiguous: Bool {
        zip(zip(shape, strides), TensorRecord.contiguousStrides(shape)).allSatisfy { pair, expected in
            pair.0 <= 1 || pair.1 == expected
        }
    }

    /// Converts the tensor to fp32, row-major, into `destination` (which must hold
    /// `elementCount` floats). F16 and BF16 convert exactly; F64 rounds to nearest.
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard dtype.isFloatingPoint else {
            throw CheckpointError.unsupportedTensor(file: file.path, tensor: name, message: "dtype \(dtype.rawValue) cannot be converted to fp32 weights")
        }
        precondition(destination.count >= elementCount, "destination too small for \(name)")
        if elementCount == 0 { return }
        let base = file.bytes.baseAddress! + byteOffset
        var out = 0
        forEachElementOffset { elementIndex in
            let p = base + elementIndex * dtype.size
            destination[out] = TensorRecord.loadFloat(p, dtype)
            out += 1
        }
    }

    /// Drops the process's pages of the tensor's bytes (`MappedFile.releasePages`): after a
    /// conversion that reads them once, they need not stay resident.
    public func releasePages() {
        guard elementCount > 0 else { return }
        var last = 0
        for (dim, stride) in zip(shape, strides) { last += (dim - 1) * stride }
        file.releasePages(offset: byteOffset, count: (last + 1) * dtype.size)
    }

    /// Converts elements `[start, start + count)` of a contiguous tensor to fp32 into
    /// `destination` (which must hold `count` floats): a window of `copyFloats(into:)`.
    public func copyFloats(from start: Int, count: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard dtype.isFloatingPoint else {
            throw CheckpointError.unsupportedTensor(file: file.path, tensor: name, message: "dtype \(dtype.rawValue) cannot be converted to fp32 weights")
        }
        precondition(isContiguous && start >= 0 && count >= 0 && start + count <= elementCount && destination.count >= count,
                     "bad window of \(name)")
        if count == 0 { return }
        let base = file.bytes.baseAddress! + byteOffset + start * dtype.size
        for i in 0..<count { destination[i] = TensorRecord.loadFloat(base + i * dtype.size, dtype) }
    }

    /// The tensor converted to fp32, row-major.
    public func floats() throws -> [Float] {
        try [Float](unsafeUninitializedCapacity: elementCount) { buffer, initialized in
            try copyFloats(into: buffer)
            initialized = elementCount
        }
    }

    /// Calls `body` with the storage element index of every element, in row-major order.
    private func forEachElementOffset(_ body: (Int) -> Void) {
        if isContiguous {
            for i in 0..<elementCount { body(i) }
            return
        }
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        for _ in 0..<elementCount {
            body(offset)
            var axis = shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < shape[axis] { break }
                offset -= strides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    @inline(__always)
    static func loadFloat(_ p: UnsafeRawPointer, _ dtype: DType) -> Float {
        switch dtype {
        case .f32:
            return Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)))
        case .f16:
            return Float(Float16(bitPattern: UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))))
        case .bf16:
            return Float(bitPattern: UInt32(UInt16(littleEndian: p.loadUnaligned(as: UInt16.self))) << 16)
        case .f64:
            return Float(Double(bitPattern: UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))))
        default:
            return .nan  // unreachable: guarded by isFloatingPoint
        }
    }
}
