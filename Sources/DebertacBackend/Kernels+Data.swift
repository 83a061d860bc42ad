import DebertacIR

/// Data movement: `gather`, `first_token`, `concat_rows` of run-time values, and
/// `rel_pos_index` (a look-up in a compile-time table over i − j).
extension ModuleEmitter {
    /// `result[r, :] = table[ids[r], :]`. Ids are graph inputs, which the runtime has checked
    /// against the table's size before the forward pass starts.
    func lowerGather(_ op: Op) throws(BackendError) {
        guard let width = graph.type(of: op.operands[0]).shape[1].staticSize else { throw unsupported(op, "dynamic width") }
        let idsShape = graph.type(of: op.operands[1]).shape
        let rowsPerTask = max(1, Self.mapBlock / max(width, 1))
        let rows = code.product(idsShape.map(size))
        try launch(key(op, "rows \(rowsPerTask)"), sources(op), count: code.ceilDiv(rows, rowsPerTask)) { a in
            let total = code.product(idsShape.map { a.size($0, code) })
            let hi = code.smin(code.mul(a.end, rowsPerTask), total)
            code.loop(code.mul(a.begin, rowsPerTask), hi) { row in
                let source = code.gep(code.f32, a[0], code.mul(code.sext(code.load(code.i32, a[1], row)), width))
                let target = code.gep(code.f32, a[2], code.mul(row, width))
                code.loop(width) { c in code.store(code.load(code.f32, source, c), code.f32, target, c) }
            }
        }
    }

    /// `result[b, :] = x[b, 0, :]`.
    func lowerFirstToken(_ op: Op) throws(BackendError) {
        let x = graph.type(of: op.operands[0])
        guard let width = x.shape[2].staticSize else { throw unsupported(op, "dynamic width") }
        let element = irElement(x)
        try launch(key(op), sources(op), count: size(x.shape[0])) { a in
            let t = a.size(x.shape[1], code)
            forEachTask(a) { b in
                let source = code.gep(element, a[0], code.mul(code.mul(b, t), width))
                let target = code.gep(element, a[1], code.mul(b, width))
                code.loop(width) { c in code.store(code.load(element, source, c), element, target, c) }
            }
        }
    }

    /// Operands copied one after the other (`concat_rows` of run-time values; of constants it
    /// is done at compile time). One task per operand.
    func lowerConcatRows(_ op: Op) throws(BackendError) {
        let counts = try op.operands.map { (value) throws(BackendError) -> Int in
            guard let shape = graph.type(of: value).staticShape else { throw unsupported(op, "operands need static shapes") }
            return shape.reduce(1, *)
        }
        let element = irElement(graph.type(of: op.result))
        let out = op.operands.count
        try launch(key(op), sources(op), count: code.i64(op.operands.count)) { a in
            forEachTask(a) { task in
                var start = 0
                for (index, n) in counts.enumerated() {
                    let offset = start
                    code.when(code.eq(task, code.i64(index))) {
                        let target = code.gep(element, a[out], code.i64(offset))
                        code.loop(n) { i in code.store(code.load(element, a[index], i), element, target, i) }
                    }
                    start += n
                }
            }
        }
    }

    /// `idx[i, j] = table[i − j + radius]`, the table over `i − j` computed at compile time
    /// for every length up to the model's maximum.
    func lowerRelPosIndex(_ op: Op) throws(BackendError) {
        let attributes = op.attributes
        guard let buckets = attributes["buckets"]?.intValue, let maxPosition = attributes["max_position"]?.intValue,
              let span = attributes["span"]?.intValue else {
            throw unsupported(op, "missing attributes")
        }
        let radius = max(maxSequenceLength - 1, 0)
        let table = RelativePositionTable.values(radius: radius, buckets: buckets, maxPosition: maxPosition, span: span)
        let sources: [PointerSource] = [.weights(.ints(table), elements: table.count), .value(op.result)]
        try launch(key(op, "radius \(radius)"), sources, count: length) { a in
            let t = a.length
            forEachTask(a) { i in
                let row = code.gep(code.i32, a[1], code.mul(i, t))
                let shifted = code.gep(code.i32, a[0], code.add(i, radius))  // table[i + radius − j]
                code.loop(code.i64(0), t) { j in
                    code.store(code.load(code.i32, shifted, code.sub(code.i64(0), j)), code.i32, row, j)
                }
            }
        }
    }
}
