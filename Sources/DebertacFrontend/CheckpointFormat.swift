/// The on-disk formats debertac reads, recognised by content rather than file name.
public enum CheckpointFormat: String, Sendable, Codable {
    /// Hugging Face safetensors.
    case safetensors
    /// `torch.save` zip archive (torch ≥ 1.6).
    case torchZip = "pytorch-zip"
    /// `torch.save` concatenated pickles (torch < 1.6).
    case torchLegacy = "pytorch-legacy"

    /// Recognises the format of a mapped file from its first bytes.
    public static func detect(_ file: MappedFile) throws -> CheckpointFormat {
        let bytes = file.bytes
        if ZipArchive.looksLikeZip(bytes) { return .torchZip }
        if TorchLegacyReader.looksLikeLegacy(bytes) { return .torchLegacy }
        if SafetensorsReader.looksLikeSafetensors(bytes) { return .safetensors }
        if file.size < 9 {
            throw CheckpointError.truncated(file: file.path, offset: file.size, what: "file is too short to be a checkpoint")
        }
        throw CheckpointError.unknownFormat(file: file.path)
    }

    /// Reads every tensor of `file` in this format.
    public func read(_ file: MappedFile) throws -> [TensorRecord] {
        switch self {
        case .safetensors: try SafetensorsReader.read(file)
        case .torchZip: try TorchZipReader.read(file)
        case .torchLegacy: try TorchLegacyReader.read(file)
        }
    }
}
