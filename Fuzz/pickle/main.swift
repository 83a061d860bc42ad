// Fuzz target: the restricted unpickler (`PickleMachine.unpickle`) on its own, with a
// persistent-id loader that accepts both torch spellings (5-tuple zip ids, 6-tuple legacy
// ids), followed by the state-dict interpretation both torch readers share.
@testable import DebertacFrontend

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = input(data, count)
    let load: PickleMachine.PersistentLoad = { pid, offset in
        let viewed = pid.tupleItems?.count == 6
        return try TorchZipReader.storageReference(pid, viewed: viewed, file: "data.pkl", offset: offset)
    }
    // A file may hold several pickles back to back (the legacy format): read them all.
    var start = 0
    while start < bytes.count {
        let end: Int? = try? PickleMachine.unpickle(bytes, from: start, file: "data.pkl", baseOffset: 0, persistentLoad: load) { value, end in
            invariant(end > start && end <= bytes.count, "pickle at \(start) ends at \(end), outside (\(start), \(bytes.count)]")
            _ = walk(value)
            _ = try? TorchZipReader.tensorSpecs(in: value, file: "data.pkl", offset: start)
            return end
        }
        guard let end else { break }
        start = end
    }
    return 0
}
