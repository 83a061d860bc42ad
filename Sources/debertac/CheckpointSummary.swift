import DebertacFrontend

/// What `debertac inspect` shows: configuration, tensor table, parameter count, validation.
struct CheckpointSummary {
    let path: String
    let checkpoint: Checkpoint
    let report: TensorSetReport

    var text: String {
        var lines: [String] = []
        let files = checkpoint.weightFiles.count
        lines.append(row("checkpoint", "\(path) (\(checkpoint.format.rawValue), \(files) file\(files == 1 ? "" : "s"))"))
        lines.append(row("config", checkpoint.configPath))
        for (label, text) in checkpoint.config.summaryLines { lines.append(row(label, text)) }
        lines.append("")

        let header = ["name", "dtype", "shape", "bytes"]
        let rows = checkpoint.tensors.map { [$0.name, $0.dtype.rawValue, shapeText($0.shape), String($0.byteCount)] }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        for cells in [header] + rows {
            let padded = cells.enumerated().map { column, cell in
                column == cells.count - 1 ? String(repeating: " ", count: widths[column] - cell.count) + cell : cell.padding(widths[column])
            }
            lines.append(padded.joined(separator: "  "))
        }
        lines.append("")
        let bytes = checkpoint.tensors.reduce(0) { $0 + $1.byteCount }
        lines.append("\(checkpoint.tensors.count) tensors, \(checkpoint.parameterCount) parameters, \(humanBytes(bytes))")
        if !report.ignored.isEmpty { lines.append("ignored: \(report.ignored.joined(separator: ", "))") }
        lines.append(report.isValid ? "tensor set: matches config.json" : "tensor set: does NOT match config.json (details on stderr)")
        return lines.joined(separator: "\n")
    }

    var json: JSONValue {
        let tensors = checkpoint.tensors.map { tensor -> JSONValue in
            .object([
                (key: "name", value: .string(tensor.name)),
                (key: "dtype", value: .string(tensor.dtype.rawValue)),
                (key: "shape", value: .array(tensor.shape.map(JSONValue.int))),
                (key: "bytes", value: .int(tensor.byteCount)),
            ])
        }
        let entry = { (e: ExpectedTensors.Entry) -> JSONValue in
            .object([(key: "name", value: .string(e.name)), (key: "shape", value: .array(e.shape.map(JSONValue.int)))])
        }
        let validation: JSONValue = .object([
            (key: "valid", value: .bool(report.isValid)),
            (key: "missing", value: .array(report.missing.map(entry))),
            (key: "unexpected", value: .array(report.unexpected.map(entry))),
            (key: "misshaped", value: .array(report.misshaped.map { m in
                .object([(key: "name", value: .string(m.name)), (key: "shape", value: .array(m.shape.map(JSONValue.int))),
                         (key: "expected", value: .array(m.expected.map(JSONValue.int)))])
            })),
            (key: "non_float", value: .array(report.nonFloat.map(JSONValue.string))),
            (key: "ignored", value: .array(report.ignored.map(JSONValue.string))),
        ])
        return .object([
            (key: "checkpoint", value: .string(path)),
            (key: "format", value: .string(checkpoint.format.rawValue)),
            (key: "files", value: .array(checkpoint.weightFiles.map(JSONValue.string))),
            (key: "config_path", value: .string(checkpoint.configPath)),
            (key: "config", value: checkpoint.config.jsonValue),
            (key: "tensors", value: .array(tensors)),
            (key: "parameters", value: .int(checkpoint.parameterCount)),
            (key: "validation", value: validation),
        ])
    }

    private func row(_ label: String, _ text: String) -> String { label.padding(12) + text }
    private func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
    /// "512 B", "49.1 KiB", "2.9 GiB": one decimal, binary units.
    private func humanBytes(_ bytes: Int) -> String {
        var unit = 0
        var scaled = Double(bytes)
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        while scaled >= 1024, unit < units.count - 1 { scaled /= 1024; unit += 1 }
        let tenths = Int((scaled * 10).rounded())
        return unit == 0 ? "\(bytes) B" : "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
