/// A restricted unpickler for torch state dicts: it builds `PickleValue`s and executes nothing.
///
/// It understands the opcodes that `torch.save` writes with its default protocol 2 (and
/// accepts PROTO 2...5 headers plus FRAME and MEMOIZE from protocol 4); any other opcode
/// is `CheckpointError.unsupportedPickleOpcode`. GLOBAL is checked against the allow-list
/// (`PickleGlobal.isAllowed`) the moment it is read, before any later opcode can use it, so
/// `os.system`, `builtins.eval` and friends are `CheckpointError.forbiddenPickleGlobal`.
///
/// The machine is total: stack underflow, unmatched MARKs, memo misses, truncated operands,
/// operands of the wrong type, lengths larger than the remaining input, nesting deeper than
/// `maxDepth` and runaway stacks or memos are typed errors carrying the byte offset (in the
/// file) of the offending opcode. Work is linear in the input size.
///
/// Persistent ids (BINPERSID, how torch refers to tensor storages) are handed to the
/// caller's `PersistentLoad`, so the zip and legacy formats can resolve them differently.
public enum PickleMachine {
    /// Resolves a persistent id (the value popped by BINPERSID) to a storage.
    /// `offset` is the file offset of the BINPERSID opcode, for error messages.
    public typealias PersistentLoad = (_ pid: PickleValue, _ offset: Int) throws -> PickleStorage

    /// Deepest container nesting accepted while unpickling; walkers use the same cap.
    public static let maxDepth = 1000
    /// Most distinct memo slots a pickle may fill (a state dict uses about ten per tensor).
    public static let maxMemoEntries = 1 << 20
    /// Most values plus MARKs that may be on the stack at once.
    public static let maxStackSize = 1 << 20

    /// Unpickles one pickle from `bytes[start...]` and calls `body` with the result and the
    /// index in `bytes` just after its STOP opcode (where a following pickle would start).
    ///
    /// - Parameters:
    ///   - bytes: the input; the pickle must end (with STOP) inside it.
    ///   - start: index in `bytes` of the pickle's first opcode.
    ///   - file: file name used in errors.
    ///   - baseOffset: file offset of `bytes[0]`, so that errors give file offsets.
    ///   - persistentLoad: resolves BINPERSID; without it, a persistent id is an error.
    ///   - body: inspects the value. Lists and dicts are emptied when `body` returns (this
    ///     breaks any cycle a hostile memo built), so copy out what you need.
    public static func unpickle<T>(
        _ bytes: UnsafeRawBufferPointer, from start: Int = 0, file: String, baseOffset: Int = 0,
        persistentLoad: PersistentLoad? = nil,
        _ body: (_ value: PickleValue, _ end: Int) throws -> T
    ) throws -> T {
        guard (0...bytes.count).contains(start) else {
            throw CheckpointError.truncated(file: file, offset: baseOffset &+ start, what: "pickle starts outside its \(bytes.count) bytes")
        }
        let machine = Machine(bytes: bytes, start: start, file: file, base: baseOffset, load: persistentLoad)
        defer { machine.tearDown() }
        let value = try machine.run()
        return try body(value, machine.pos)
    }
}

/// One stack or memo slot. `depth` is the nesting depth of the value; for lists and dicts
/// the live depth is kept in the container itself.
private struct Slot {
    var value: PickleValue
    var depth: Int

    var currentDepth: Int {
        switch value {
        case let .list(list): list.depth
        case let .dict(dict): dict.depth
        default: depth
        }
    }
}

private final class Machine {
    let bytes: UnsafeRawBufferPointer
    let file: String
    let base: Int
    let load: PickleMachine.PersistentLoad?
    /// Index in `bytes` of the next byte to read.
    var pos: Int
    /// Index in `bytes` of the opcode being executed.
    var opPos = 0
    var stack: [Slot] = []
    /// Stack height and opcode position of each open MARK. As in CPython's metastack, the
    /// values below the innermost mark are out of reach until it is closed.
    var marks: [(height: Int, pos: Int)] = []
    var memo: [UInt32: Slot] = [:]
    /// Every list and dict created, emptied by `tearDown` so that cycles are freed and no
    /// deep recursive release can happen.
    var lists: [PickleList] = []
    var dicts: [PickleDict] = []

    init(bytes: UnsafeRawBufferPointer, start: Int, file: String, base: Int, load: PickleMachine.PersistentLoad?) {
        self.bytes = bytes
        self.pos = start
        self.file = file
        self.base = base
        self.load = load
    }

    func tearDown() {
        for list in lists { list.items.removeAll() }
        for dict in dicts { dict.entries.removeAll() }
        stack.removeAll()
        memo.removeAll()
    }

    // MARK: Errors

    var offset: Int { base &+ opPos }

    func malformed(_ message: String) -> CheckpointError {
        .malformed(file: file, offset: offset, message: message)
    }

    func unexpected(_ message: String) -> CheckpointError {
        .unexpectedPickleContent(file: file, offset: offset, message: message)
    }

    // MARK: Operands

    /// The next `count` bytes, after checking that they exist (before anything is allocated).
    func take(_ count: Int, _ what: String) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - pos else {
            throw CheckpointError.truncated(file: file, offset: offset, what: "operand of \(what) needs \(count) bytes, \(max(bytes.count - pos, 0)) left")
        }
        defer { pos += count }
        return UnsafeRawBufferPointer(rebasing: bytes[pos..<pos + count])
    }

    func uint<I: FixedWidthInteger>(_ type: I.Type, _ what: String) throws -> I {
        let raw = try take(MemoryLayout<I>.size, what)
        return I(littleEndian: raw.loadUnaligned(as: I.self))
    }

    func utf8(_ raw: UnsafeRawBufferPointer, _ what: String) throws -> String {
        guard let text = String(validating: raw, as: UTF8.self) else { throw malformed("\(what) is not valid UTF-8") }
        return text
    }

    /// A newline-terminated operand of GLOBAL.
    func line(_ what: String) throws -> String {
        guard let newline = bytes[pos...].firstIndex(of: 0x0A) else {
            throw CheckpointError.truncated(file: file, offset: offset, what: "\(what) of GLOBAL has no terminating newline")
        }
        let text = try utf8(UnsafeRawBufferPointer(rebasing: bytes[pos..<newline]), "\(what) of GLOBAL")
        pos = newline + 1
        return text
    }

    // MARK: Stack

    var floor: Int { marks.last?.height ?? 0 }

    func push(_ value: PickleValue, depth: Int = 1) throws {
        guard stack.count + marks.count < PickleMachine.maxStackSize else {
            throw malformed("pickle stack exceeds \(PickleMachine.maxStackSize) entries")
        }
        guard depth <= PickleMachine.maxDepth else {
            throw unexpected("values nested deeper than \(PickleMachine.maxDepth) levels")
        }
        stack.append(Slot(value: value, depth: depth))
    }

    func pop(_ opcode: String) throws -> Slot {
        guard stack.count > floor else { throw malformed("stack underflow in \(opcode)") }
        return stack.removeLast()
    }

    func top(_ opcode: String) throws -> Slot {
        guard stack.count > floor, let slot = stack.last else { throw malformed("stack underflow in \(opcode)") }
        return slot
    }

    /// Pops everything above the innermost MARK, and the mark.
    func popMark(_ opcode: String) throws -> [Slot] {
        guard let mark = marks.popLast() else { throw malformed("no MARK before \(opcode)") }
        let items = Array(stack[mark.height...])
        stack.removeSubrange(mark.height...)
        return items
    }

    func pop(_ count: Int, _ opcode: String) throws -> [Slot] {
        guard stack.count - floor >= count else { throw malformed("stack underflow in \(opcode)") }
        let items = Array(stack.suffix(count))
        stack.removeLast(count)
        return items
    }

    func pushTuple(_ items: [Slot]) throws {
        try push(.tuple(items.map(\.value)), depth: 1 + (items.map(\.currentDepth).max() ?? 0))
    }

    func newList() -> PickleList {
        let list = PickleList(offset: offset)
        lists.append(list)
        return list
    }

    func newDict() -> PickleDict {
        let dict = PickleDict(offset: offset)
        dicts.append(dict)
        return dict
    }

    func append(_ items: [Slot], _ opcode: String) throws {
        guard case let .list(list) = try top(opcode).value else {
            throw unexpected("target of \(opcode) is a \(try top(opcode).value.kind), expected a list")
        }
        let depth = max(list.depth, 1 + (items.map(\.currentDepth).max() ?? 0))
        guard depth <= PickleMachine.maxDepth else { throw unexpected("values nested deeper than \(PickleMachine.maxDepth) levels") }
        list.depth = depth
        list.items.append(contentsOf: items.map(\.value))
    }

    func setItems(_ items: [Slot], _ opcode: String) throws {
        guard items.count % 2 == 0 else { throw malformed("odd number (\(items.count)) of keys and values for \(opcode)") }
        guard case let .dict(dict) = try top(opcode).value else {
            throw unexpected("target of \(opcode) is a \(try top(opcode).value.kind), expected a dict")
        }
        let depth = max(dict.depth, 1 + (items.map(\.currentDepth).max() ?? 0))
        guard depth <= PickleMachine.maxDepth else { throw unexpected("values nested deeper than \(PickleMachine.maxDepth) levels") }
        dict.depth = depth
        var index = 0
        while index < items.count {
            dict.entries.append((key: items[index].value, value: items[index + 1].value))
            index += 2
        }
    }

    // MARK: Memo

    func put(_ index: UInt32, _ opcode: String) throws {
        let slot = try top(opcode)
        if memo[index] == nil, memo.count >= PickleMachine.maxMemoEntries {
            throw malformed("pickle memo exceeds \(PickleMachine.maxMemoEntries) entries")
        }
        memo[index] = slot
    }

    func get(_ index: UInt32) throws {
        guard let slot = memo[index] else { throw malformed("memo key \(index) was never stored") }
        try push(slot.value, depth: slot.depth)
    }

    // MARK: Execution

    func run() throws -> PickleValue {
        while true {
            opPos = pos
            guard pos < bytes.count else {
                throw CheckpointError.truncated(file: file, offset: offset, what: "pickle ends without a STOP opcode")
            }
            let opcode = bytes[pos]
            pos += 1
            switch opcode {
            case 0x80:  // PROTO
                let version = try uint(UInt8.self, "PROTO")
                guard (2...5).contains(version) else { throw unexpected("pickle protocol \(version) is not supported (expected 2 to 5)") }
            case 0x95:  // FRAME: a length hint only
                let length = try uint(UInt64.self, "FRAME")
                guard length <= UInt64(bytes.count - pos) else {
                    throw CheckpointError.truncated(file: file, offset: offset, what: "frame of \(length) bytes, \(bytes.count - pos) left")
                }
            case 0x2E:  // STOP
                if let mark = marks.last {
                    throw CheckpointError.malformed(file: file, offset: base &+ mark.pos, message: "unclosed MARK at STOP")
                }
                guard stack.count == 1 else {
                    throw malformed(stack.isEmpty ? "stack underflow in STOP" : "stack holds \(stack.count) values at STOP, expected 1")
                }
                return stack[0].value
            case 0x63:  // GLOBAL
                let module = try line("module")
                let name = try line("name")
                let global = PickleGlobal(module: module, name: name)
                guard global.isAllowed else {
                    throw CheckpointError.forbiddenPickleGlobal(file: file, offset: offset, module: module, name: name)
                }
                try push(.global(global))
            case 0x51:  // BINPERSID
                let pid = try pop("BINPERSID")
                guard let load else { throw unexpected("persistent id where none is expected") }
                try push(.storage(try load(pid.value, offset)))
            case 0x28:  // MARK
                guard stack.count + marks.count < PickleMachine.maxStackSize else {
                    throw malformed("pickle stack exceeds \(PickleMachine.maxStackSize) entries")
                }
                marks.append((stack.count, opPos))
            case 0x29: try push(.tuple([]))  // EMPTY_TUPLE
            case 0x74: try pushTuple(try popMark("TUPLE"))
            case 0x85: try pushTuple(try pop(1, "TUPLE1"))
            case 0x86: try pushTuple(try pop(2, "TUPLE2"))
            case 0x87: try pushTuple(try pop(3, "TUPLE3"))
            case 0x7D: try push(.dict(newDict()))  // EMPTY_DICT
            case 0x73: try setItems(try pop(2, "SETITEM"), "SETITEM")
            case 0x75: try setItems(try popMark("SETITEMS"), "SETITEMS")
            case 0x5D: try push(.list(newList()))  // EMPTY_LIST
            case 0x61: try append(try pop(1, "APPEND"), "APPEND")
            case 0x65: try append(try popMark("APPENDS"), "APPENDS")
            case 0x58:  // BINUNICODE
                let length = try uint(UInt32.self, "BINUNICODE")
                try push(.string(try utf8(try take(Int(length), "BINUNICODE"), "string of BINUNICODE")))
            case 0x8C:  // SHORT_BINUNICODE
                let length = try uint(UInt8.self, "SHORT_BINUNICODE")
                try push(.string(try utf8(try take(Int(length), "SHORT_BINUNICODE"), "string of SHORT_BINUNICODE")))
            case 0x42:  // BINBYTES
                let length = try uint(UInt32.self, "BINBYTES")
                try push(.bytes(Array(try take(Int(length), "BINBYTES"))))
            case 0x43:  // SHORT_BINBYTES
                let length = try uint(UInt8.self, "SHORT_BINBYTES")
                try push(.bytes(Array(try take(Int(length), "SHORT_BINBYTES"))))
            case 0x4A: try push(.int(Int64(try uint(Int32.self, "BININT"))))
            case 0x4B: try push(.int(Int64(try uint(UInt8.self, "BININT1"))))
            case 0x4D: try push(.int(Int64(try uint(UInt16.self, "BININT2"))))
            case 0x8A:  // LONG1
                let length = try uint(UInt8.self, "LONG1")
                try push(long(try take(Int(length), "LONG1")))
            case 0x88: try push(.bool(true))  // NEWTRUE
            case 0x89: try push(.bool(false))  // NEWFALSE
            case 0x4E: try push(.none)  // NONE
            case 0x47:  // BINFLOAT
                let raw = try take(8, "BINFLOAT")
                try push(.float(Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))))
            case 0x52: try reduce()
            case 0x62:  // BUILD: torch attaches `_metadata` to state dicts; the state is ignored
                _ = try pop("BUILD")
                let target = try top("BUILD").value
                guard case .dict = target else { throw unexpected("target of BUILD is a \(target.kind), expected a dict") }
            case 0x71: try put(UInt32(try uint(UInt8.self, "BINPUT")), "BINPUT")
            case 0x72: try put(try uint(UInt32.self, "LONG_BINPUT"), "LONG_BINPUT")
            case 0x94:  // MEMOIZE
                guard let index = UInt32(exactly: memo.count) else { throw malformed("pickle memo is full") }
                try put(index, "MEMOIZE")
            case 0x68: try get(UInt32(try uint(UInt8.self, "BINGET")))
            case 0x6A: try get(try uint(UInt32.self, "LONG_BINGET"))
            default:
                throw CheckpointError.unsupportedPickleOpcode(file: file, offset: offset, opcode: opcode)
            }
        }
    }

    /// LONG1's little-endian two's complement bytes: an `Int64` when they fit, else `.bigInt`.
    func long(_ raw: UnsafeRawBufferPointer) -> PickleValue {
        if raw.count > 8 { return .bigInt(Array(raw)) }
        guard let last = raw.last else { return .int(0) }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0  // sign extension
        for byte in raw.reversed() { value = value << 8 | UInt64(byte) }
        return .int(Int64(bitPattern: value))
    }

    /// REDUCE records the call; only `OrderedDict()` is "performed", as an empty dict.
    func reduce() throws {
        let arguments = try pop("REDUCE")
        let callable = try pop("REDUCE")
        guard case let .global(function) = callable.value else {
            throw unexpected("callable of REDUCE is a \(callable.value.kind), expected an allowed global")
        }
        guard case let .tuple(items) = arguments.value else {
            throw unexpected("arguments of REDUCE are a \(arguments.value.kind), expected a tuple")
        }
        if function == .orderedDict {
            guard items.isEmpty else { throw unexpected("'collections.OrderedDict' called with \(items.count) arguments, expected none") }
            try push(.dict(newDict()))
        } else {
            try push(.call(PickleCall(function: function, arguments: items, offset: offset)), depth: 1 + arguments.currentDepth)
        }
    }
}
