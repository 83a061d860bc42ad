/// The text of `--print-memory-plan`.
extension MemoryPlan {
    /// One line per buffer (index, live interval, size at the maxima, offset, group,
    /// size formula, value), then the JSON line `{"arena_bytes": N, "lower_bound_bytes": M}`.
    public func report(maxBatch: Int, maxLength: Int) -> String {
        let layout = layout(maxBatch: maxBatch, maxLength: maxLength)
        var lines = ["// memory plan: \(buffers.count) buffers in \(groupCount) slots, \(opCount) ops, max batch \(maxBatch), max length \(maxLength)"]
        let header = ["buffer", "first", "last", "size", "offset", "group", "formula", "value"]
        var rows: [[String]] = [header]
        for (index, buffer) in buffers.enumerated() {
            rows.append([String(index), String(buffer.firstOp), String(buffer.lastOp),
                         String(buffer.size(batch: maxBatch, length: maxLength)), String(layout.offsets[index]),
                         String(buffer.group), buffer.formula, "%" + buffer.value])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(to: widths[column])
            }
            lines.append("// " + cells.joined(separator: "  "))
        }
        lines.append("{\"arena_bytes\": \(layout.arenaBytes), \"lower_bound_bytes\": \(layout.lowerBoundBytes)}")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    /// Right-aligned numbers, left-aligned text, padded to `width`.
    fileprivate func padding(to width: Int) -> String {
        let pad = String(repeating: " ", count: max(0, width - count))
        return first.map { $0.isNumber } ?? false ? pad + self : self + pad
    }
}
