// Shared by every fuzz target (compiled into each one by Fuzz/build.sh).
//
// A target's entry point is `LLVMFuzzerTestOneInput`; it must return 0 for every input.
// Readers may throw (that is a rejection, the expected outcome for most inputs); anything
// else that ends the process is a finding: a Swift runtime trap (overflow, out-of-range
// index, force-unwrap), an AddressSanitizer report, a libFuzzer timeout or out-of-memory,
// or one of the `invariant` checks below, which catch readers that accept something they
// should have rejected.
@testable import DebertacFrontend

#if canImport(Glibc)
import Glibc
#endif

/// Stops the process with a message naming the broken invariant (libFuzzer saves the input).
func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() {
        let text = "fuzz invariant violated: \(message())\n"
        _ = text.withCString { write(2, $0, strlen($0)) }
        abort()
    }
}

/// Where targets xor bytes they read, so that the optimiser keeps the (checked) loads.
nonisolated(unsafe) var sink: UInt8 = 0

/// The fuzzer's input as a buffer; valid during the call only.
func input(_ data: UnsafePointer<UInt8>?, _ count: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: count)
}

/// Most elements a target converts to fp32 per record: enough to touch every byte of any
/// small tensor, bounded so that stride-0 tensors with huge element counts cannot time out.
let maxConvertedElements = 1 << 16

/// Checks what every reader promises about an accepted `TensorRecord`, then converts it
/// when it is small, so that AddressSanitizer sees every byte the conversion reads (the
/// file is a heap copy, see `MappedFile(copying:path:)`).
///
/// Promises (docs/checkpoints.md, TensorRecord.init): the element count is the product of
/// the shape; the byte size (`byteCount`, shown by `debertac inspect`) does not overflow;
/// every addressable element lies inside the file.
func checkRecord(_ record: TensorRecord, in file: MappedFile) {
    let name = record.name
    invariant(record.shape.count == record.strides.count, "'\(name)': shape and strides differ in rank")
    var count = 1
    for dim in record.shape {
        invariant(dim >= 0, "'\(name)': negative dimension in \(record.shape)")
        let (product, overflow) = count.multipliedReportingOverflow(by: dim)
        invariant(!overflow, "'\(name)': element count of \(record.shape) overflows")
        count = product
    }
    invariant(count == record.elementCount, "'\(name)': elementCount \(record.elementCount) ≠ product of \(record.shape)")
    let (_, bytesOverflow) = record.elementCount.multipliedReportingOverflow(by: record.dtype.size)
    invariant(!bytesOverflow, "'\(name)': byteCount of \(record.elementCount) × \(record.dtype.size) overflows")
    if count > 0 {
        var last = 0
        for (dim, stride) in zip(record.shape, record.strides) {
            invariant(stride >= 0, "'\(name)': negative stride in \(record.strides)")
            let (step, o1) = (dim - 1).multipliedReportingOverflow(by: stride)
            let (sum, o2) = last.addingReportingOverflow(step)
            invariant(!o1 && !o2, "'\(name)': strides \(record.strides) overflow for \(record.shape)")
            last = sum
        }
        let (lastByte, o3) = last.multipliedReportingOverflow(by: record.dtype.size)
        let (end, o4) = record.byteOffset.addingReportingOverflow(lastByte)
        let (endExclusive, o5) = end.addingReportingOverflow(record.dtype.size)
        invariant(!o3 && !o4 && !o5, "'\(name)': reach of \(record.shape) × \(record.strides) overflows")
        invariant(record.byteOffset >= 0 && endExclusive <= file.size,
                  "'\(name)': bytes [\(record.byteOffset), \(endExclusive)) outside the \(file.size)-byte file")
    }
    if record.dtype.isFloatingPoint, record.elementCount <= maxConvertedElements {
        let values = (try? record.floats()) ?? []
        invariant(values.count == record.elementCount, "'\(name)': converted \(values.count) of \(record.elementCount) elements")
    }
}

/// Checks every record of an accepted file and that names are unique, then does what
/// `debertac inspect` does with them: name normalisation, totals, the tensor-set report.
func checkRecords(_ records: [TensorRecord], in file: MappedFile, format: CheckpointFormat) {
    var names = Set<String>()
    for record in records {
        invariant(names.insert(record.name).inserted, "tensor '\(record.name)' accepted twice")
        checkRecord(record, in: file)
    }
    guard let checkpoint = try? Checkpoint(config: DebertaConfig(), configPath: "config.json", format: format,
                                          weightFiles: [file.path], records: records) else { return }
    _ = checkpoint.parameterCount
    _ = checkpoint.tensors.reduce(0) { $0 + $1.byteCount }
    _ = TensorSetReport.check(checkpoint).description
}

/// Visits an unpickled value as a consumer of `PickleValue` must: each list and dict once
/// (the memo can share them and even make them cyclic), at most `PickleMachine.maxDepth`
/// deep, and at most `budget` nodes (memo-shared tuples can make the tree exponential in the
/// input size, even though the machine's own work is linear). Returns the nodes visited.
func walk(_ root: PickleValue, budget: Int = 100_000) -> Int {
    var seen = Set<ObjectIdentifier>()
    var pending: [(value: PickleValue, depth: Int)] = [(root, 0)]
    var visited = 0
    func push(_ children: [PickleValue], _ depth: Int) {
        guard depth < PickleMachine.maxDepth else { return }
        for child in children where pending.count < budget { pending.append((child, depth + 1)) }
    }
    while let (value, depth) = pending.popLast(), visited < budget {
        visited += 1
        switch value {
        case let .tuple(items):
            push(items, depth)
        case let .list(list):
            if seen.insert(ObjectIdentifier(list)).inserted { push(list.items, depth) }
        case let .dict(dict):
            if seen.insert(ObjectIdentifier(dict)).inserted { push(dict.entries.flatMap { [$0.key, $0.value] }, depth) }
        case let .call(call):
            push(call.arguments, depth)
        default:
            break
        }
    }
    return visited
}
