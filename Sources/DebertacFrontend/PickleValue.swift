/// A value produced by `PickleMachine`: the small subset of Python objects that a torch
/// state-dict pickle builds, with every callable replaced by inert data.
///
/// Nothing here runs Python semantics: a "reduced" call of an allowed global is recorded as
/// `.call`, not performed (except `collections.OrderedDict()`, which becomes an empty `.dict`).
/// Lists and dicts are reference types so that memo sharing works as in Python; a hostile
/// pickle can therefore make them cyclic, so code that walks values must cap its depth
/// (see `PickleMachine.maxDepth`). Values are valid only inside the `body` closure of
/// `PickleMachine.unpickle`, which empties every list and dict afterwards to break cycles.
public indirect enum PickleValue {
    /// Python `None`.
    case none
    /// `True` / `False` (NEWTRUE, NEWFALSE).
    case bool(Bool)
    /// An integer that fits in 64 bits (BININT, BININT1, BININT2, LONG1 up to 8 bytes).
    case int(Int64)
    /// A wider integer from LONG1: little-endian two's complement bytes, as stored.
    /// The legacy torch magic number `0x1950a86a20f9469cfc6c` is one.
    case bigInt([UInt8])
    /// A float (BINFLOAT, a big-endian IEEE double).
    case float(Double)
    /// A Python `str`, validated UTF-8 (BINUNICODE, SHORT_BINUNICODE).
    case string(String)
    /// A Python `bytes` (SHORT_BINBYTES, BINBYTES).
    case bytes([UInt8])
    /// A tuple; immutable once built.
    case tuple([PickleValue])
    /// A list, shared by reference through the memo.
    case list(PickleList)
    /// A dict or `OrderedDict`, shared by reference through the memo.
    case dict(PickleDict)
    /// A reference to an allowed global (GLOBAL), never resolved to anything callable.
    case global(PickleGlobal)
    /// A storage named by a persistent id (BINPERSID), as resolved by the caller's loader.
    case storage(PickleStorage)
    /// An allowed global "called" by REDUCE, recorded with its arguments and not performed.
    case call(PickleCall)

    /// The Python-ish name of this value's kind, for error messages (`'str'`, `'tuple'`...).
    public var kind: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .tuple: "tuple"
        case .list: "list"
        case .dict: "dict"
        case let .global(g): "global '\(g.module).\(g.name)'"
        case .storage: "storage"
        case let .call(c): "call of '\(c.function.module).\(c.function.name)'"
        }
    }

    /// The string, if this is a `str`.
    public var stringValue: String? {
        if case let .string(s) = self { s } else { nil }
    }

    /// The integer, if this is an `int` that fits in 64 bits (`bool` is not an int here).
    public var intValue: Int64? {
        if case let .int(i) = self { i } else { nil }
    }

    /// The items, if this is a tuple.
    public var tupleItems: [PickleValue]? {
        if case let .tuple(items) = self { items } else { nil }
    }
}

/// A Python list built by the unpickler. Mutable only by `PickleMachine`.
public final class PickleList {
    /// The items in order.
    public internal(set) var items: [PickleValue] = []
    /// Byte offset, in the file, of the opcode that created the list.
    public let offset: Int
    /// Nesting depth of the contents when they were appended (1 for an empty list).
    /// It can be stale if an element was grown through the memo later: walkers re-check.
    var depth = 1

    init(offset: Int) { self.offset = offset }
}

/// A Python dict (or `OrderedDict`) built by the unpickler. Mutable only by `PickleMachine`.
///
/// Entries keep insertion order and are not deduplicated: Python would keep the last value
/// of a repeated key, but a state dict never repeats one, so readers see every entry and
/// reject repeats (`CheckpointError.duplicateTensor`) instead of silently picking one.
public final class PickleDict {
    /// The entries in insertion order.
    public internal(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    /// Byte offset, in the file, of the opcode that created the dict.
    public let offset: Int
    /// See `PickleList.depth`.
    var depth = 1

    init(offset: Int) { self.offset = offset }

    /// The value of the last entry whose key is the string `key`, if any.
    public func value(forKey key: String) -> PickleValue? {
        entries.last(where: { $0.key.stringValue == key })?.value
    }
}

/// A Python global named by the GLOBAL opcode: `module.name`. Only the allow-list
/// (`PickleGlobal.isAllowed`) ever reaches a value; everything else is rejected on sight.
public struct PickleGlobal: Hashable, Sendable {
    /// The module, e.g. `torch._utils`.
    public let module: String
    /// The attribute, e.g. `_rebuild_tensor_v2`.
    public let name: String

    /// Creates a reference to `module.name`.
    public init(module: String, name: String) {
        self.module = module
        self.name = name
    }

    /// `collections.OrderedDict`: the type of every `state_dict()`.
    public static let orderedDict = PickleGlobal(module: "collections", name: "OrderedDict")
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    public static let rebuildTensorV2 = PickleGlobal(module: "torch._utils", name: "_rebuild_tensor_v2")
    /// `torch._utils._rebuild_tensor(storage, offset, size, stride)` (torch < 1.0).
    public static let rebuildTensor = PickleGlobal(module: "torch._utils", name: "_rebuild_tensor")
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`.
    public static let rebuildParameter = PickleGlobal(module: "torch._utils", name: "_rebuild_parameter")

    /// Element type of the legacy typed storage classes `torch.<X>Storage`.
    static let storageDTypes: [String: DType] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "DoubleStorage": .f64,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]

    /// The element type if this is a storage class such as `torch.HalfStorage`, else `nil`.
    public var storageDType: DType? {
        module == "torch" ? PickleGlobal.storageDTypes[name] : nil
    }

    /// Whether a state dict may name this global: the same set `torch.load(weights_only=True)`
    /// needs for plain tensors. Anything else could run code when Python loads it.
    public var isAllowed: Bool {
        self == .orderedDict || self == .rebuildTensorV2 || self == .rebuildTensor
            || self == .rebuildParameter || storageDType != nil
    }
}

/// A storage named by a persistent id, as the caller's loader resolved it.
///
/// The elements addressable through it are `[elementOffset, elementOffset + elementCount)`
/// of the root storage `key` (a legacy view storage has a non-zero offset; zip archives
/// always use 0 and the whole storage).
public struct PickleStorage: Hashable, Sendable {
    /// Element type, from the storage class.
    public let dtype: DType
    /// Key of the root storage: the `data/<key>` entry of a zip, or the legacy storage key.
    public let key: String
    /// First element of the view in the root storage.
    public let elementOffset: Int
    /// Number of elements in the view.
    public let elementCount: Int

    /// Creates a storage reference; counts are in elements of `dtype`.
    public init(dtype: DType, key: String, elementOffset: Int = 0, elementCount: Int) {
        self.dtype = dtype
        self.key = key
        self.elementOffset = elementOffset
        self.elementCount = elementCount
    }
}

/// `function(*arguments)` as recorded by REDUCE: never performed.
public struct PickleCall {
    /// The allowed global that would be called.
    public let function: PickleGlobal
    /// The argument tuple's items.
    public let arguments: [PickleValue]
    /// Byte offset, in the file, of the REDUCE opcode.
    public let offset: Int
}
