import DebertacIR

/// Elementwise kernels: activations and `scale` (flat maps), broadcasting `add` / `mul`, and
/// `mask_rows`. Tasks are blocks of elements or of rows; results never depend on the blocks.
extension ModuleEmitter {
    /// Elements per task of flat maps (16 KB of f32: enough work to amortise a task).
    static let mapBlock = 4096

    /// Number of elements of `type` in the entry function.
    func elementCount(_ type: TensorType) -> IRValue { code.product(type.shape.map(size)) }

    /// `result[i] = f(x[i])` over all elements.
    func lowerMap(_ op: Op, key extra: String, _ f: (IRValue) -> IRValue) throws(BackendError) {
        let type = graph.type(of: op.result)
        let shape = type.shape
        let count = code.ceilDiv(elementCount(type), Self.mapBlock)
        try launch(key(op, extra), sources(op), count: count) { a in
            let total = code.product(shape.map { a.size($0, code) })
            let lo = code.mul(a.begin, Self.mapBlock)
            let hi = code.smin(code.mul(a.end, Self.mapBlock), total)
            code.loop(lo, hi) { i in
                code.store(f(code.load(code.f32, a[0], i)), code.f32, a[1], i)
            }
        }
    }

    /// `a + b` or `a · b` with numpy broadcasting. Rows of the result's last axis are the
    /// tasks (in blocks); each operand's row offset comes from its strides, 0 along the axes
    /// it repeats.
    func lowerBinary(_ op: Op) throws(BackendError) {
        let result = graph.type(of: op.result)
        let isFloat = result.element == .f32
        let element = irElement(result)
        let rank = result.rank
        let operandShapes = op.operands.map { value -> [Dim] in
            let shape = graph.type(of: value).shape
            return Array(repeating: .fixed(1), count: rank - shape.count) + shape
        }
        let isAdd = op.kind == .add
        func combine(_ x: IRValue, _ y: IRValue) -> IRValue {
            switch (isAdd, isFloat) {
            case (true, true): code.fadd(x, y)
            case (false, true): code.fmul(x, y)
            case (true, false): code.wrappingAdd(x, y)
            case (false, false): code.wrappingMul(x, y)
            }
        }
        guard rank >= 1 else {
            try launch(key(op), sources(op), count: code.i64(1)) { a in
                code.store(combine(code.load(element, a[0], code.i64(0)), code.load(element, a[1], code.i64(0))), element, a[2], code.i64(0))
            }
            return
        }
        let outer = Array(result.shape.dropLast())
        let inner = result.shape[rank - 1]
        let rowsPerTask = max(1, Self.mapBlock / max(inner.staticSize ?? 256, 1))
        let rows = code.product(outer.map(size))
        let count = code.ceilDiv(rows, rowsPerTask)
        let same = operandShapes.allSatisfy { $0 == result.shape }
        try launch(key(op, "rows \(rowsPerTask)"), sources(op), count: count) { a in
            let width = a.size(inner, code)
            let totalRows = code.product(outer.map { a.size($0, code) })
            let lo = code.mul(a.begin, rowsPerTask)
            let hi = code.smin(code.mul(a.end, rowsPerTask), totalRows)
            if same {
                // Same shapes: one flat loop over the task's rows.
                code.loop(code.mul(lo, width), code.mul(hi, width)) { i in
                    code.store(combine(code.load(element, a[0], i), code.load(element, a[1], i)), element, a[2], i)
                }
                return
            }
            // Row-major strides of each operand (in elements), 0 where it broadcasts.
            let strides: [[IRValue]] = operandShapes.map { shape in
                var strides = [IRValue](repeating: code.i64(0), count: rank)
                var running = code.i64(1)
                for axis in (0..<rank).reversed() {
                    strides[axis] = shape[axis] == .fixed(1) && result.shape[axis] != .fixed(1) ? code.i64(0) : running
                    running = code.mul(running, a.size(shape[axis], code))
                }
                return strides
            }
            code.loop(lo, hi) { row in
                // Multi-index of the row over the outer axes, innermost first.
                var rest = row
                var offsets = [code.i64(0), code.i64(0)]
                for axis in (0..<(rank - 1)).reversed() {
                    let extent = a.size(result.shape[axis], code)
                    let index = code.rem(rest, extent)
                    rest = code.div(rest, extent)
                    for k in 0..<2 { offsets[k] = code.add(offsets[k], code.mul(index, strides[k][axis])) }
                }
                let out = code.mul(row, width)
                code.loop(code.i64(0), width) { j in
                    let x = code.load(element, a[0], code.add(offsets[0], code.mul(j, strides[0][rank - 1])))
                    let y = code.load(element, a[1], code.add(offsets[1], code.mul(j, strides[1][rank - 1])))
                    code.store(combine(x, y), element, a[2], code.add(out, j))
                }
            }
        }
    }

    /// `x[..., t, :] · float(mask[..., t])`, a row per mask entry.
    func lowerMaskRows(_ op: Op) throws(BackendError) {
        let x = graph.type(of: op.operands[0])
        let width = x.shape[x.rank - 1]
        let rowsPerTask = max(1, Self.mapBlock / max(width.staticSize ?? 256, 1))
        let rows = code.product(x.shape.dropLast().map(size))
        try launch(key(op, "rows \(rowsPerTask)"), sources(op), count: code.ceilDiv(rows, rowsPerTask)) { a in
            let w = a.size(width, code)
            let totalRows = code.product(x.shape.dropLast().map { a.size($0, code) })
            let hi = code.smin(code.mul(a.end, rowsPerTask), totalRows)
            code.loop(code.mul(a.begin, rowsPerTask), hi) { row in
                let factor = code.sitofp(code.load(code.i32, a[1], row))
                let base = code.mul(row, w)
                code.loop(code.i64(0), w) { j in
                    let i = code.add(base, j)
                    code.store(code.fmul(code.load(code.f32, a[0], i), factor), code.f32, a[2], i)
                }
            }
        }
    }

    /// `add_prefix_rows(x, table)`: `x[b, t, :] + table[t, :]` (absolute positions added
    /// without materialising `prefix_rows`).
    func lowerAddPrefixRows(_ op: Op) throws(BackendError) {
        let x = graph.type(of: op.result)
        guard let width = x.shape[2].staticSize else { throw unsupported(op, "dynamic width") }
        let rowsPerTask = max(1, Self.mapBlock / max(width, 1))
        let rows = code.mul(size(x.shape[0]), length)
        try launch(key(op, "rows \(rowsPerTask)"), sources(op), count: code.ceilDiv(rows, rowsPerTask)) { a in
            let t = a.length
            let hi = code.smin(code.mul(a.end, rowsPerTask), code.mul(a.size(x.shape[0], code), t))
            code.loop(code.mul(a.begin, rowsPerTask), hi) { row in
                let base = code.mul(row, width)
                let position = code.gep(code.f32, a[1], code.mul(code.rem(row, t), width))
                code.loop(width) { c in
                    let i = code.add(base, c)
                    code.store(code.fadd(code.load(code.f32, a[0], i), code.load(code.f32, position, c)), code.f32, a[2], i)
                }
            }
        }
    }
}
