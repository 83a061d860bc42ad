import DebertacFrontend

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether `path` names a directory (following symbolic links).
func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

/// Whether a tokenizer file is at `path`: false when nothing is there, true for a regular file
/// (following symbolic links). Anything else under that name, such as a folder, a FIFO or a
/// symbolic link to nothing, is an error: skipping it would silently compile without the
/// tokenizer (or its config) the folder seems to have, and opening a FIFO would block.
func tokenizerFileExists(_ path: String) throws(TokenizerError) -> Bool {
    var info = stat()
    if stat(path, &info) == 0 {
        let kind: String
        switch info.st_mode & S_IFMT {
        case S_IFREG: return true
        case S_IFDIR: kind = "a folder"
        case S_IFIFO: kind = "a FIFO"
        case S_IFSOCK: kind = "a socket"
        default: kind = "a device"
        }
        throw TokenizerError.io(file: path, message: "is \(kind), expected a regular file")
    }
    let reason = String(cString: strerror(errno))
    var link = stat()
    if lstat(path, &link) == 0 {
        throw TokenizerError.io(file: path, message: "is a symbolic link that cannot be followed: \(reason)")
    }
    if errno == ENOENT { return false }
    throw TokenizerError.io(file: path, message: "cannot be examined: \(reason)")
}

/// The whole file, refused before it is copied when it is larger than `limit` bytes.
func readFileBytes(path: String, limit: Int) throws(TokenizerError) -> [UInt8] {
    let file: MappedFile
    do {
        file = try MappedFile(path: path)
    } catch let error as CheckpointError {
        if case let .io(_, message) = error { throw TokenizerError.io(file: path, message: message) }
        throw TokenizerError.io(file: path, message: error.description)
    } catch {
        throw TokenizerError.io(file: path, message: "\(error)")
    }
    guard file.size <= limit else { throw TokenizerError.tooLarge(file: path, size: file.size, limit: limit) }
    return [UInt8](file.bytes)
}

/// Parses JSON text, mapping syntax errors to `TokenizerError.json` with the offset.
func parseJSON(_ bytes: [UInt8], file: String) throws(TokenizerError) -> JSONValue {
    do {
        return try JSONParser.parse(bytes)
    } catch {
        throw TokenizerError.json(file: file, offset: error.offset, message: error.message)
    }
}

/// Reads and parses a JSON file of at most `limit` bytes.
func readJSON(path: String, limit: Int) throws(TokenizerError) -> JSONValue {
    try parseJSON(try readFileBytes(path: path, limit: limit), file: path)
}

extension String {
    /// `self/component`, or `component` when `self` is empty.
    func appendingPath(_ component: String) -> String {
        if isEmpty { return component }
        return hasSuffix("/") ? self + component : self + "/" + component
    }

    /// The folder part of a path ("." for a bare file name).
    var parentDirectory: String {
        guard let slash = lastIndex(of: "/") else { return "." }
        if slash == startIndex { return "/" }
        return String(self[..<slash])
    }
}
