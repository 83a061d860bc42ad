@testable import DebertacFrontend
import Testing

@Suite struct SafetensorsReaderTests {
    func read(_ bytes: [UInt8]) throws -> [TensorRecord] {
        let dir = try ScratchDirectory()
        let path = try dir.write("model.safetensors", bytes)
        return try SafetensorsReader.read(MappedFile(path: path))
    }

    /// The error `read` throws for `bytes`, which must be a `CheckpointError`.
    func failure(_ bytes: [UInt8]) throws -> CheckpointError {
        do {
            _ = try read(bytes)
        } catch let error as CheckpointError {
            return error
        }
        Issue.record("expected a CheckpointError")
        return .io(file: "", message: "")
    }

    @Test func readsEveryFloatDTypeExactly() throws {
        let values: [Float] = [0, -1.5, 65504, 6.1035156e-05, 5.9604645e-08, -0.0, .infinity, 3.140625]
        var builder = SafetensorsBuilder()
        builder.tensors = [
            .init(name: "a", dtype: "F32", shape: [2, 4], values: values),
            .init(name: "b", dtype: "F16", shape: [8], values: values),
            .init(name: "c", dtype: "BF16", shape: [4, 2], values: values.map { Float(bitPattern: $0.bitPattern & 0xFFFF_0000) }),
        ]
        let records = try read(builder.bytes())
        #expect(records.map(\.name) == ["a", "b", "c"])
        #expect(records[0].shape == [2, 4] && records[0].dtype == .f32)
        #expect(try records[0].floats() == values)
        #expect(try records[1].floats() == values)  // every value is exactly representable in fp16
        #expect(try records[2].floats().map(\.bitPattern) == values.map { $0.bitPattern & 0xFFFF_0000 })
    }

    @Test func truncatedBeforeHeaderLength() throws {
        guard case .truncated = try failure([1, 2, 3]) else { Issue.record("wrong error"); return }
    }

    @Test func headerLengthPastTheEnd() throws {
        let error = try failure(SafetensorsBuilder.file(header: "{}", data: [], declaredLength: 4096))
        #expect(error.description.contains("runs past the end"))
    }

    @Test func hugeHeaderLengthIsRejectedBeforeReading() throws {
        let error = try failure(SafetensorsBuilder.file(header: "{}", data: [], declaredLength: UInt64.max))
        guard case .malformed = error else { Issue.record("wrong error \(error)"); return }
    }

    @Test func badJSONGivesTheFileOffset() throws {
        let error = try failure(SafetensorsBuilder.file(header: "{\"a\": [1,}", data: []))
        guard case let .json(_, offset, _) = error else { Issue.record("wrong error \(error)"); return }
        #expect(offset == 8 + 9)
    }

    @Test func unknownDTypeNamesTheTensor() throws {
        let header = #"{"w": {"dtype": "F8_E4M3X", "shape": [1], "data_offsets": [0, 1]}}"#
        guard case let .unknownDType(_, tensor, dtype) = try failure(SafetensorsBuilder.file(header: header, data: [0])) else {
            Issue.record("wrong error"); return
        }
        #expect(tensor == "w" && dtype == "F8_E4M3X")
    }

    @Test func offsetsOutOfBounds() throws {
        let header = #"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}"#
        let error = try failure(SafetensorsBuilder.file(header: header, data: [0, 0, 0, 0]))
        #expect(error.description.contains("'w'") && error.description.contains("run past"))
    }

    @Test func offsetsThatOverflow() throws {
        let header = #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [9223372036854775800, 9223372036854775804]}}"#
        guard case .tensorOutOfBounds = try failure(SafetensorsBuilder.file(header: header, data: [0, 0, 0, 0])) else {
            Issue.record("wrong error"); return
        }
    }

    @Test func shapeThatDisagreesWithOffsets() throws {
        let header = #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}"#
        let error = try failure(SafetensorsBuilder.file(header: header, data: [0, 0, 0, 0]))
        #expect(error.description.contains("needs 8 bytes"))
    }

    @Test func shapeWhoseElementCountOverflows() throws {
        let header = #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}"#
        let error = try failure(SafetensorsBuilder.file(header: header, data: [0, 0, 0, 0]))
        #expect(error.description.contains("64 bits"))
    }

    @Test func overlappingTensors() throws {
        let header = #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        guard case let .overlappingTensors(_, first, second) = try failure(SafetensorsBuilder.file(header: header, data: [UInt8](repeating: 0, count: 12))) else {
            Issue.record("wrong error"); return
        }
        #expect(first == "a" && second == "b")
    }

    @Test func duplicateNamesAreInvalidJSON() throws {
        let header = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        guard case .json = try failure(SafetensorsBuilder.file(header: header, data: [0, 0, 0, 0])) else { Issue.record("wrong error"); return }
    }

    @Test func nonUTF8NameIsRejected() throws {
        var bytes = SafetensorsBuilder.file(header: #"{"a?": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])
        bytes[8 + 3] = 0xFF
        guard case .json = try failure(bytes) else { Issue.record("wrong error"); return }
    }

    @Test func emptyTensorIsFine() throws {
        let header = #"{"e": {"dtype": "F16", "shape": [0, 3], "data_offsets": [0, 0]}}"#
        let records = try read(SafetensorsBuilder.file(header: header, data: []))
        #expect(records.first?.elementCount == 0)
        #expect(try records.first?.floats() == [])
    }
}
