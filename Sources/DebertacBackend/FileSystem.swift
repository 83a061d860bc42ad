#if canImport(Glibc)
import Glibc
#endif

/// A file being written sequentially through a buffer (weights payloads run to gigabytes).
final class BinaryFileWriter {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 1 << 22
    /// Bytes written so far, including the buffer.
    private(set) var position = 0

    init(path: String) throws(BackendError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: path, message: errnoText()) }
        buffer.reserveCapacity(capacity)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func write(_ bytes: UnsafeRawBufferPointer) throws(BackendError) {
        if buffer.count + bytes.count > capacity { try flush() }
        if bytes.count >= capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        position += bytes.count
    }

    func write(_ bytes: [UInt8]) throws(BackendError) {
        try withBytes(of: bytes) { (raw) throws(BackendError) in try write(raw) }
    }

    /// Zeros up to the next multiple of `alignment`; returns how many were written.
    @discardableResult
    func pad(to alignment: Int) throws(BackendError) -> Int {
        let padding = (alignment - position % alignment) % alignment
        if padding > 0 { try write([UInt8](repeating: 0, count: padding)) }
        return padding
    }

    /// Appends `count` bytes of the file at `source`, copied in the kernel (`sendfile`, which
    /// copies between regular files since Linux 2.6.33) where it can, else through a bounded buffer: gigabytes never pass through this process.
    func copy(from source: String, count: Int) throws(BackendError) {
        try flush()
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .io(path: source, message: errnoText()) }
        defer { Glibc.close(input) }
        var done = 0
        var inKernel = true
        var chunk = [UInt8]()
        while done < count {
            if inKernel {
                let n = sendfile(fd, input, nil, min(count - done, 1 << 30))
                if n > 0 { done += n; continue }
                if n == 0 { throw .io(path: source, message: "the file ended after \(done) of \(count) bytes") }
                if errno == EINTR { continue }
                guard errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP else {
                    throw .io(path: path, message: errnoText())
                }
                inKernel = false
                chunk = [UInt8](repeating: 0, count: capacity)
                lseek(input, off_t(done), SEEK_SET)
            }
            let n = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, min($0.count, count - done)) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .io(path: source, message: errnoText()) }
            if n == 0 { throw .io(path: source, message: "the file ended after \(done) of \(count) bytes") }
            try withBytes(of: chunk) { (raw) throws(BackendError) in try writeAll(UnsafeRawBufferPointer(rebasing: raw[0..<n])) }
            done += n
        }
        position += count
    }

    func flush() throws(BackendError) {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try withBytes(of: pending) { (raw) throws(BackendError) in try writeAll(raw) }
    }

    /// Flushes and closes; the file is complete afterwards.
    func close() throws(BackendError) {
        try flush()
        guard Glibc.close(fd) == 0 else { throw .io(path: path, message: errnoText()) }
        closed = true
    }
    private var closed = false

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(BackendError) {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, message: errnoText())
            }
            done += n
        }
    }
}

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(prefix: String = "debertac") throws(BackendError) {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/\(prefix).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw .io(path: base, message: "cannot create a temporary directory: \(errnoText())") }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Removes the directory and its (flat) contents.
    func remove() {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                if name == "." || name == ".." { continue }
                unlink(path + "/" + name)
            }
            closedir(dir)
        }
        rmdir(path)
    }
}

/// Writes `text` to `path` (whole file).
func writeFile(_ path: String, _ text: String) throws(BackendError) {
    let writer = try BinaryFileWriter(path: path)
    try writer.write(Array(text.utf8))
    try writer.close()
}

/// Writes `bytes` to `path` (whole file).
func writeFile(_ path: String, bytes: [UInt8]) throws(BackendError) {
    let writer = try BinaryFileWriter(path: path)
    try writer.write(bytes)
    try writer.close()
}

/// The whole (small) file at `path`.
func readWholeFile(_ path: String) throws(BackendError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io(path: path, message: errnoText()) }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 { throw .io(path: path, message: errnoText()) }
        if n == 0 { return out }
        out += chunk[0..<n]
    }
}

/// Moves `from` over `to` atomically (same file system), so readers never see a partial output.
func moveFile(_ from: String, _ to: String) throws(BackendError) {
    if rename(from, to) != 0 { throw .io(path: to, message: "cannot rename '\(from)': \(errnoText())") }
}

func removeFile(_ path: String) { unlink(path) }

func fileSize(_ path: String) -> Int? {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : nil
}

/// The folder part of a path ("." for a bare file name).
func directoryName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// The last component of a path.
func baseName(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    return String(path[path.index(after: slash)...])
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// `array.withUnsafeBytes(body)` for a body with typed throws.
func withBytes<T>(of array: [T], _ body: (UnsafeRawBufferPointer) throws(BackendError) -> Void) throws(BackendError) {
    var failure: BackendError?
    array.withUnsafeBytes { raw in
        do throws(BackendError) {
            try body(raw)
        } catch {
            failure = error
        }
    }
    if let failure { throw failure }
}
