#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file mapped read-only into memory.
///
/// Checkpoints can be several gigabytes: tensor bytes stay in the page cache and are
/// touched only when a tensor is actually converted, so `debertac inspect` on a
/// 6 GB checkpoint costs a few megabytes of RSS.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was opened from, as given.
    public let path: String
    /// Size of the file in bytes.
    public let size: Int
    /// Start of the mapping; `nil` for an empty file.
    private let base: UnsafeRawPointer?
    /// Whether `base` is a heap copy (`init(copying:path:)`) rather than an `mmap`.
    private let isHeapCopy: Bool

    /// Maps `path` read-only. Throws `CheckpointError.io` if it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        isHeapCopy = false
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CheckpointError.io(file: path, message: "cannot open: \(errnoMessage())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CheckpointError.io(file: path, message: "cannot stat: \(errnoMessage())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.io(file: path, message: "not a regular file")
        }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw CheckpointError.io(file: path, message: "cannot map \(size) bytes: \(errnoMessage())")
        }
        base = UnsafeRawPointer(mapped)
    }

    /// A private heap copy of `bytes` that reads like a file called `path`, so readers can
    /// parse a buffer (fuzz targets, tests). Under AddressSanitizer a read past the end of a
    /// heap copy is reported, where one past a mapping may go unnoticed.
    public init(copying bytes: UnsafeRawBufferPointer, path: String) {
        self.path = path
        isHeapCopy = true
        size = bytes.count
        guard let source = bytes.baseAddress, size > 0 else {
            base = nil
            return
        }
        let copy = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        copy.copyMemory(from: source, byteCount: size)
        base = UnsafeRawPointer(copy)
    }

    deinit {
        guard let base else { return }
        if isHeapCopy {
            base.deallocate()
        } else {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
        }
    }

    /// The whole file as raw bytes. Valid while `self` is alive.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Drops this process's pages of bytes `[offset, offset + count)` (widened to whole pages;
    /// `madvise(MADV_DONTNEED)`), so that data read once stops counting in the resident set.
    /// The mapping is read-only and private, so the bytes stay readable: a later access reads
    /// them again from the page cache. No effect on a heap copy.
    public func releasePages(offset: Int, count: Int) {
        guard let base, !isHeapCopy, count > 0, offset >= 0, offset < size else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / page * page
        let end = min((offset + count + page - 1) / page * page, (size + page - 1) / page * page)
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }

    /// Bytes `[offset, offset + count)`, or `nil` when that range is not inside the file
    /// (including arithmetic overflow). Valid while `self` is alive.
    public func slice(offset: Int, count: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, count >= 0 else { return nil }
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= size else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }
}

func errnoMessage() -> String {
    String(cString: strerror(errno))
}
