/// Reads the tensor table of a `.safetensors` file.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON
/// `{name: {"dtype", "shape", "data_offsets": [begin, end)}, "__metadata__": {...}}`,
/// then the data section; offsets are relative to its start. Every offset, size and
/// overlap is checked before a `TensorRecord` is made.
public enum SafetensorsReader {
    /// Largest header accepted (the format's reference implementation uses 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    /// Whether `bytes` start like a safetensors file (plausible length, then '{').
    public static func looksLikeSafetensors(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 9 else { return false }
        let length = bytes.loadUnaligned(as: UInt64.self).littleEndian
        return length >= 2 && length <= UInt64(maximumHeaderBytes) && bytes[8] == UInt8(ascii: "{")
    }

    /// All tensors of `file`, in data-offset order.
    public static func read(_ file: MappedFile) throws -> [TensorRecord] {
        let path = file.path
        guard file.size >= 8 else {
            throw CheckpointError.truncated(file: path, offset: file.size, what: "expected an 8-byte header length")
        }
        let declared = file.bytes.loadUnaligned(as: UInt64.self).littleEndian
        guard declared <= UInt64(maximumHeaderBytes) else {
            throw CheckpointError.malformed(file: path, offset: 0, message: "header length \(declared) exceeds the \(maximumHeaderBytes)-byte limit")
        }
        let headerLength = Int(declared)
        guard let header = file.slice(offset: 8, count: headerLength) else {
            throw CheckpointError.truncated(file: path, offset: file.size, what: "header of \(headerLength) bytes runs past the end of the \(file.size)-byte file")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(header)
        } catch {
            throw CheckpointError.json(file: path, offset: 8 + error.offset, message: error.message)
        }
        guard let members = json.objectValue else {
            throw CheckpointError.malformed(file: path, offset: 8, message: "header is a JSON \(json.kindName), expected an object")
        }
        let dataStart = 8 + headerLength
        let dataRegion = dataStart..<file.size

        var entries: [(record: TensorRecord, range: Range<Int>)] = []
        for (name, entry) in members where name != "__metadata__" {
            let (record, range) = try readEntry(name: name, entry: entry, file: file, dataStart: dataStart, dataRegion: dataRegion)
            entries.append((record, range))
        }
        entries.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (a, b) in zip(entries, entries.dropFirst()) where a.range.overlaps(b.range) {
            throw CheckpointError.overlappingTensors(file: path, first: a.record.name, second: b.record.name)
        }
        return entries.map(\.record)
    }

    private static func readEntry(
        name: String, entry: JSONValue, file: MappedFile, dataStart: Int, dataRegion: Range<Int>
    ) throws -> (TensorRecord, Range<Int>) {
        let path = file.path
        let bad = { (message: String) in CheckpointError.malformed(file: path, offset: 8, message: "tensor '\(name)': \(message)") }
        guard entry.objectValue != nil else { throw bad("entry is a \(entry.kindName), expected an object") }
        guard let dtypeName = entry["dtype"]?.stringValue else { throw bad("missing string field 'dtype'") }
        guard let dtype = DType(rawValue: dtypeName) else {
            throw CheckpointError.unknownDType(file: path, tensor: name, dtype: dtypeName)
        }
        guard let shapeValues = entry["shape"]?.arrayValue else { throw bad("missing array field 'shape'") }
        let shape = try shapeValues.map { value -> Int in
            guard let dim = value.intValue, dim >= 0 else { throw bad("shape entries must be non-negative integers") }
            return dim
        }
        guard let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
              let begin = offsets[0].intValue, let end = offsets[1].intValue else {
            throw bad("'data_offsets' must be two integers [begin, end)")
        }
        guard begin >= 0, begin <= end else {
            throw CheckpointError.tensorOutOfBounds(file: path, tensor: name, message: "data_offsets [\(begin), \(end)) are not an increasing range")
        }
        let (absoluteEnd, overflow) = dataStart.addingReportingOverflow(end)
        guard !overflow, absoluteEnd <= dataRegion.upperBound else {
            throw CheckpointError.tensorOutOfBounds(file: path, tensor: name, message: "data_offsets [\(begin), \(end)) run past the \(dataRegion.count)-byte data section")
        }
        let range = (dataStart + begin)..<absoluteEnd
        var needed = dtype.size
        for dim in shape {
            let (product, overflow) = needed.multipliedReportingOverflow(by: dim)
            guard !overflow else {
                throw CheckpointError.tensorOutOfBounds(file: path, tensor: name, message: "shape \(shape) has more elements than fit in 64 bits")
            }
            needed = product
        }
        guard needed == range.count else {
            throw CheckpointError.tensorOutOfBounds(file: path, tensor: name, message: "shape \(shape) of \(dtype.rawValue) needs \(needed) bytes but data_offsets span \(range.count)")
        }
        let record = try TensorRecord(name: name, dtype: dtype, shape: shape, file: file, byteOffset: range.lowerBound, region: range)
        return (record, range)
    }
}
