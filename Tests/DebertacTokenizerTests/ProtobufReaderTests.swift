@testable import DebertacTokenizer
import Testing

@Suite struct ProtobufReaderTests {
    func reader(_ bytes: [UInt8]) -> ProtobufReader { ProtobufReader(bytes: bytes, file: "m.pb") }

    @Test(arguments: [
        ([0x00], UInt64(0)), ([0x01], 1), ([0x7F], 127), ([0x80, 0x01], 128), ([0xAC, 0x02], 300),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0x0F], 0xFFFF_FFFF),
        ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], UInt64.max),
        // Non-minimal encodings are valid protobuf.
        ([0x80, 0x80, 0x00], 0),
    ] as [([UInt8], UInt64)])
    func varints(bytes: [UInt8], value: UInt64) throws {
        var r = reader(bytes)
        #expect(try r.readVarint() == value)
        #expect(r.isAtEnd)
    }

    @Test func varintOverflowingSixtyFourBitsIsRejected() {
        // The 10th byte may only carry bit 63.
        var r = reader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect(throws: TokenizerError.malformed(file: "m.pb", offset: 0, message: "varint overflows 64 bits")) { try r.readVarint() }
        var r11 = reader([UInt8](repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: TokenizerError.malformed(file: "m.pb", offset: 0, message: "varint overflows 64 bits")) { try r11.readVarint() }
    }

    @Test func cutOffVarintIsTruncated() {
        var r = reader([0x08, 0x80, 0x80])
        #expect(throws: TokenizerError.truncated(file: "m.pb", offset: 3, what: "varint that starts at byte 1 is cut off")) {
            _ = try r.nextField()
            _ = try r.readVarint()
        }
    }

    @Test func fixedWidthValuesAreLittleEndian() throws {
        var r = reader([0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4, 5, 6, 7, 8])
        #expect(try r.readFixed32() == 0x1234_5678)
        #expect(try r.readFixed64() == 0x0807_0605_0403_0201)
        var short = reader([1, 2, 3])
        #expect(throws: TokenizerError.truncated(file: "m.pb", offset: 0, what: "fixed32 value needs 4 bytes, 3 left")) { try short.readFixed32() }
        var short64 = reader([1, 2, 3, 4, 5, 6, 7])
        #expect(throws: TokenizerError.truncated(file: "m.pb", offset: 0, what: "fixed64 value needs 8 bytes, 7 left")) { try short64.readFixed64() }
    }

    @Test func lengthsAreCheckedAgainstTheEnclosingMessage() throws {
        var r = reader([0x0A, 0x03, 0x61, 0x62, 0x63])
        let field = try #require(try r.nextField())
        #expect(field.number == 1 && field.wireType == .lengthDelimited)
        #expect(try r.readLengthDelimited() == 2..<5)
        // A nested message cannot reach past its own end, even when the file goes on.
        var outer = reader([0x0A, 0x02, 0x12, 0x05, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA])
        _ = try outer.nextField()
        var inner = outer.message(try outer.readLengthDelimited())
        _ = try inner.nextField()
        #expect(throws: TokenizerError.truncated(file: "m.pb", offset: 3, what: "length 5 runs past the 0 bytes left in the message")) {
            try inner.readLengthDelimited()
        }
        // A length near 2^64 must not wrap.
        var huge = reader([0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        _ = try huge.nextField()
        #expect(throws: TokenizerError.self) { try huge.readLengthDelimited() }
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        var w = ProtobufWriter()
        w.varintField(7, -1)          // 10-byte varint
        w.tag(8, 1); w.bytes += [UInt8](repeating: 9, count: 8)
        w.bytesField(9, [1, 2, 3])
        w.floatField(10, 1.5)
        w.varintField(11, 42)
        var r = reader(w.bytes)
        var numbers: [Int] = []
        while let field = try r.nextField() {
            numbers.append(field.number)
            if field.number == 11 { #expect(try r.readVarint() == 42) } else { try r.skip(field) }
        }
        #expect(numbers == [7, 8, 9, 10, 11])
    }

    @Test(arguments: [UInt8(3), 4, 6, 7])
    func groupsAndUndefinedWireTypesAreRejected(wireType: UInt8) {
        var r = reader([0x08, 0x01, 2 << 3 | wireType])
        #expect {
            _ = try r.nextField()
            _ = try r.readVarint()
            _ = try r.nextField()
        } throws: { error in
            guard case let .malformed(_, offset, message) = error as? TokenizerError else { return false }
            return offset == 2 && message.contains("field 2") && message.contains("wire type \(wireType)")
        }
    }

    @Test func fieldNumbersOutOfRangeAreRejected() {
        var zero = reader([0x02, 0x00])
        #expect(throws: TokenizerError.self) { _ = try zero.nextField() }
        // A tag that does not fit in 32 bits.
        var wide = reader([0xFF, 0xFF, 0xFF, 0xFF, 0x1F])
        #expect(throws: TokenizerError.malformed(file: "m.pb", offset: 0, message: "field tag \(0x1_FFFF_FFFF as UInt64) does not fit in 32 bits")) {
            _ = try wide.nextField()
        }
    }

    @Test func wrongWireTypeForAKnownFieldIsNamed() throws {
        var r = reader([0x0D, 0, 0, 0, 0])
        let field = try #require(try r.nextField())
        #expect(throws: TokenizerError.malformed(file: "m.pb", offset: 0, message: "field 'pieces' (1) has wire type 5 (fixed32), expected 2 (length-delimited)")) {
            try r.expect(field, .lengthDelimited, name: "pieces")
        }
    }
}
