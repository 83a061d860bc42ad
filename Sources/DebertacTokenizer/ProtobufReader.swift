/// A minimal, bounds-checked reader of the protobuf wire format
/// (https://protobuf.dev/programming-guides/encoding/), enough for SentencePiece's `ModelProto`.
///
/// It walks the fields of one message, `bytes[range]`, in file order. Offsets in errors are
/// absolute positions in `bytes` (the whole file), so a nested message reports where in the
/// file it went wrong. Groups (wire types 3 and 4, deprecated since proto2 and unused by
/// SentencePiece) and the undefined wire types 6 and 7 are errors, as is any length or varint
/// that runs past the end of the message.
struct ProtobufReader {
    /// How a field's value is encoded.
    enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5

        var name: String {
            switch self {
            case .varint: "varint"
            case .fixed64: "fixed64"
            case .lengthDelimited: "length-delimited"
            case .fixed32: "fixed32"
            }
        }
    }

    /// A field's tag: its number, how its value is encoded, and where the tag starts.
    struct Field: Sendable {
        let number: Int
        let wireType: WireType
        let offset: Int
    }

    /// Largest field number protobuf allows (2^29 − 1).
    static let maximumFieldNumber = (1 << 29) - 1

    let bytes: [UInt8]
    let end: Int
    let file: String
    /// Position of the next unread byte.
    private(set) var position: Int

    /// A reader of the message `bytes[range]`; `file` only labels errors.
    init(bytes: [UInt8], range: Range<Int>? = nil, file: String) {
        self.bytes = bytes
        self.file = file
        let range = range ?? 0..<bytes.count
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "message range outside its buffer")
        position = range.lowerBound
        end = range.upperBound
    }

    /// Whether every byte of the message has been read.
    var isAtEnd: Bool { position >= end }

    /// The next field's tag, or nil at the end of the message. After it, read the value with
    /// the matching `read…` method or `skip(_:)`.
    mutating func nextField() throws(TokenizerError) -> Field? {
        guard !isAtEnd else { return nil }
        let offset = position
        let tag = try readVarint()
        guard tag <= UInt64(UInt32.max) else {
            throw malformed(at: offset, "field tag \(tag) does not fit in 32 bits")
        }
        let number = Int(tag >> 3)
        let rawWireType = UInt8(tag & 7)
        guard number >= 1, number <= ProtobufReader.maximumFieldNumber else {
            throw malformed(at: offset, "field number \(number) is outside 1...\(ProtobufReader.maximumFieldNumber)")
        }
        guard let wireType = WireType(rawValue: rawWireType) else {
            let kind = rawWireType == 3 || rawWireType == 4 ? "a group (wire type \(rawWireType)), which is not supported" : "undefined wire type \(rawWireType)"
            throw malformed(at: offset, "field \(number) is \(kind); expected wire type 0, 1, 2 or 5")
        }
        return Field(number: number, wireType: wireType, offset: offset)
    }

    /// A base-128 varint of at most 10 bytes whose value fits in 64 bits.
    mutating func readVarint() throws(TokenizerError) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        for index in 0..<10 {
            guard position < end else {
                throw TokenizerError.truncated(file: file, offset: position, what: "varint that starts at byte \(start) is cut off")
            }
            let byte = bytes[position]
            position += 1
            // The 10th byte holds bit 63 only: anything more, or a continuation bit, overflows.
            if index == 9, byte > 1 {
                throw malformed(at: start, "varint overflows 64 bits")
            }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte & 0x80 == 0 { return value }
        }
        throw malformed(at: start, "varint overflows 64 bits") // unreachable: the 10th byte returned or threw
    }

    /// A little-endian 32-bit value (wire type 5).
    mutating func readFixed32() throws(TokenizerError) -> UInt32 { try readLittleEndian("fixed32") }

    /// A little-endian 64-bit value (wire type 1).
    mutating func readFixed64() throws(TokenizerError) -> UInt64 { try readLittleEndian("fixed64") }

    /// A little-endian fixed-width value named `kind` in errors.
    private mutating func readLittleEndian<T: FixedWidthInteger>(_ kind: String) throws(TokenizerError) -> T {
        let size = T.bitWidth / 8
        guard end - position >= size else {
            throw TokenizerError.truncated(file: file, offset: position, what: "\(kind) value needs \(size) bytes, \(end - position) left")
        }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[position + i]) << (8 * i) }
        position += size
        return value
    }

    /// The byte range of a length-delimited value (wire type 2): a string, bytes or a
    /// nested message. The length is checked against the rest of the enclosing message.
    mutating func readLengthDelimited() throws(TokenizerError) -> Range<Int> {
        let start = position
        let length = try readVarint()
        let remaining = end - position
        guard length <= UInt64(remaining) else {
            throw TokenizerError.truncated(file: file, offset: start, what: "length \(length) runs past the \(remaining) bytes left in the message")
        }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// Skips the value of `field`, whatever its wire type.
    mutating func skip(_ field: Field) throws(TokenizerError) {
        switch field.wireType {
        case .varint: _ = try readVarint()
        case .fixed64: _ = try readFixed64()
        case .lengthDelimited: _ = try readLengthDelimited()
        case .fixed32: _ = try readFixed32()
        }
    }

    /// A reader of the nested message `bytes[range]` (from `readLengthDelimited`).
    func message(_ range: Range<Int>) -> ProtobufReader {
        ProtobufReader(bytes: bytes, range: range, file: file)
    }

    /// Throws unless `field` has wire type `expected`; `name` is the field's name in messages.
    func expect(_ field: Field, _ expected: WireType, name: String) throws(TokenizerError) {
        guard field.wireType == expected else {
            throw malformed(at: field.offset, "field '\(name)' (\(field.number)) has wire type \(field.wireType.rawValue) (\(field.wireType.name)), expected \(expected.rawValue) (\(expected.name))")
        }
    }

    func malformed(at offset: Int, _ message: String) -> TokenizerError {
        .malformed(file: file, offset: offset, message: message)
    }
}
