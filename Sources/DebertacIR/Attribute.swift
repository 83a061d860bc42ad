/// A compile-time parameter of an operation, written `name = value` inside `{...}`.
public enum Attribute: Hashable, Sendable, CustomStringConvertible {
    /// A signed integer: `8`, `-1`.
    case int(Int)
    /// A float, printed with Swift's shortest round-tripping representation
    /// (`1e-07`, `0.125`, `1.0`) so that print → parse gives back the same bits.
    case float(Double)
    /// A string literal with `\"`, `\\`, `\n`, `\t` escapes.
    case string(String)
    /// An integer array: `[1, 2, 3]`.
    case ints([Int])

    /// What kind of value this is.
    public var kind: AttributeKind {
        switch self {
        case .int: .int
        case .float: .float
        case .string: .string
        case .ints: .ints
        }
    }

    /// The integer, if this is an `.int`.
    public var intValue: Int? {
        if case let .int(v) = self { return v }
        return nil
    }

    /// The float, if this is a `.float`.
    public var floatValue: Double? {
        if case let .float(v) = self { return v }
        return nil
    }

    /// The string, if this is a `.string`.
    public var stringValue: String? {
        if case let .string(v) = self { return v }
        return nil
    }

    /// The array, if this is an `.ints`.
    public var intsValue: [Int]? {
        if case let .ints(v) = self { return v }
        return nil
    }

    /// The textual form.
    public var description: String {
        switch self {
        case let .int(v): String(v)
        case let .float(v): Attribute.format(v)
        case let .string(s): Attribute.quote(s)
        case let .ints(values): "[" + values.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// A float as the lexer reads it back: always with `.`, `e`, `inf` or `nan`.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return value.description  // shortest representation that round-trips, e.g. "1e-07", "2.0"
    }

    /// `"text"` with escapes for the lexer.
    static func quote(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }
}

/// The kinds of attribute values, for the op table's attribute declarations.
public enum AttributeKind: String, Sendable, CustomStringConvertible {
    /// `Attribute.int`.
    case int
    /// `Attribute.float`.
    case float
    /// `Attribute.string`.
    case string
    /// `Attribute.ints`.
    case ints

    /// `an integer`, `a float`, ... for messages.
    public var description: String {
        switch self {
        case .int: "an integer"
        case .float: "a float"
        case .string: "a string"
        case .ints: "an integer array"
        }
    }
}

/// The attributes of one operation, kept sorted by name so that printing is deterministic
/// and two equal dictionaries print the same.
public struct Attributes: Hashable, Sendable, ExpressibleByDictionaryLiteral, Sequence {
    /// Entries sorted by name; names are unique.
    public private(set) var entries: [(name: String, value: Attribute)] = []

    /// No attributes.
    public init() {}

    /// Attributes from a literal such as `["heads": .int(12)]`.
    public init(dictionaryLiteral elements: (String, Attribute)...) {
        for (name, value) in elements { self[name] = value }
    }

    /// The value named `name`; assigning nil removes it.
    public subscript(name: String) -> Attribute? {
        get { entries.first { $0.name == name }?.value }
        set {
            let index = entries.firstIndex { $0.name >= name } ?? entries.endIndex
            let exists = index < entries.endIndex && entries[index].name == name
            switch (newValue, exists) {
            case let (value?, true): entries[index].value = value
            case let (value?, false): entries.insert((name, value), at: index)
            case (nil, true): entries.remove(at: index)
            case (nil, false): break
            }
        }
    }

    /// Whether there are no attributes.
    public var isEmpty: Bool { entries.isEmpty }

    /// Attribute names, sorted.
    public var names: [String] { entries.map(\.name) }

    /// Iterates `(name, value)` in name order.
    public func makeIterator() -> IndexingIterator<[(name: String, value: Attribute)]> {
        entries.makeIterator()
    }

    /// Equal when the same names map to equal values.
    public static func == (lhs: Attributes, rhs: Attributes) -> Bool {
        lhs.entries.elementsEqual(rhs.entries) { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes names and values in order.
    public func hash(into hasher: inout Hasher) {
        for (name, value) in entries {
            hasher.combine(name)
            hasher.combine(value)
        }
    }

    /// `{a = 1, b = 2.0}`, or the empty string when there are none.
    public var textualForm: String {
        if entries.isEmpty { return "" }
        return "{" + entries.map { "\($0.name) = \($0.value)" }.joined(separator: ", ") + "}"
    }
}
