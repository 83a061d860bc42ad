#if canImport(Glibc)
import Glibc
#endif

/// The header of an external weights file (`nli.so.weights`), `debertac_weights_header` in
/// debertac_runtime.h: magic, format, payload offset and size, and the payload's XXH64. The
/// payload starts at 4096 so that it is page-aligned when mapped.
struct WeightsFileHeader {
    static let magic = Array("debertac-weights".utf8)
    static let format: UInt32 = 1
    static let payloadOffset = 4096

    let payloadSize: Int
    let digest: UInt64

    /// The 48 header bytes, little-endian.
    var bytes: [UInt8] {
        var out = Self.magic
        func append<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        append(Self.format)
        append(UInt32(0))
        append(UInt64(Self.payloadOffset))
        append(UInt64(payloadSize))
        append(digest)
        return out
    }

    /// Writes the header over the start of the file at `path` (whose payload is in place).
    func write(into path: String) throws(BackendError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(path: path, message: errnoText()) }
        defer { close(fd) }
        let data = bytes
        let written = data.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        guard written == data.count else { throw .io(path: path, message: errnoText()) }
    }
}
