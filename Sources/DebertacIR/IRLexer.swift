/// A token of IR text.
enum IRToken: Equatable, Sendable {
    /// `%name`: a value reference or definition (name without `%`).
    case value(String)
    /// `@name` or `@"any text"`: a graph or constant name (without `@`).
    case symbol(String)
    /// A bare word: op names and keywords (`graph`, `return`, `tensor`, `inf`, `nan`).
    case word(String)
    case integer(Int)
    case float(Double)
    case string(String)
    /// One of `( ) { } [ ] < > , : =` or `->`.
    case punct(String)
    case end

    /// How the token reads in messages.
    var display: String {
        switch self {
        case let .value(name): "'%\(name)'"
        case let .symbol(name): "'@\(name)'"
        case let .word(word): "'\(word)'"
        case let .integer(v): "'\(v)'"
        case let .float(v): "'\(Attribute.format(v))'"
        case let .string(s): Attribute.quote(s)
        case let .punct(p): "'\(p)'"
        case .end: "end of input"
        }
    }
}

/// Splits IR text into tokens on demand, tracking line and column.
///
/// The parser asks for one token at a time so that it can read a type body
/// (`BxTx32xf32`) with `typeBody()`, whose digits and letters would otherwise run together.
struct IRLexer {
    /// Largest magnitude of an integer literal or a static dimension in IR text (`Int32.max`).
    static let maximumInteger = Int(Int32.max)

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) { bytes = Array(text.utf8) }

    /// The location of the next unread byte.
    var location: IRLocation { IRLocation(line: line, column: index - lineStart + 1) }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        index += 1
    }

    /// Skips spaces, newlines and `//` comments.
    private mutating func skipTrivia() {
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                advance()
            } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                while let d = peek(), d != UInt8(ascii: "\n") { advance() }
            } else {
                return
            }
        }
    }

    /// The next token and where it starts.
    mutating func next() throws(IRParseError) -> (IRToken, IRLocation) {
        skipTrivia()
        let start = location
        guard let c = peek() else { return (.end, start) }
        switch c {
        case UInt8(ascii: "%"):
            advance()
            let name = take(while: Graph.isValueNameByte)
            guard !name.isEmpty else { throw IRParseError(start, "expected a value name after '%'") }
            return (.value(name), start)
        case UInt8(ascii: "@"):
            advance()
            if peek() == UInt8(ascii: "\"") {
                return (.symbol(try string(start)), start)
            }
            let name = take(while: Graph.isSymbolByte)
            guard !name.isEmpty else { throw IRParseError(start, "expected a name after '@'") }
            return (.symbol(name), start)
        case UInt8(ascii: "\""):
            return (.string(try string(start)), start)
        case UInt8(ascii: "-") where peek(1) == UInt8(ascii: ">"):
            advance(); advance()
            return (.punct("->"), start)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return (try number(start), start)
        case UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["),
             UInt8(ascii: "]"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: ","), UInt8(ascii: ":"),
             UInt8(ascii: "="):
            advance()
            return (.punct(String(UnicodeScalar(c))), start)
        default:
            let word = take(while: IRLexer.isWordByte)
            guard !word.isEmpty else {
                throw IRParseError(start, "unexpected character '\(String(decoding: [c], as: UTF8.self))'")
            }
            return (.word(word), start)
        }
    }

    /// Reads a type body up to and including the closing `>`; returns the text before it.
    mutating func typeBody() throws(IRParseError) -> (String, IRLocation) {
        let start = location
        let body = take { $0 != UInt8(ascii: ">") && $0 != UInt8(ascii: "\n") }
        guard peek() == UInt8(ascii: ">") else { throw IRParseError(location, "expected '>' to close the tensor type") }
        advance()
        return (body, start)
    }

    private static func isWordByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }

    private mutating func take(while predicate: (UInt8) -> Bool) -> String {
        let begin = index
        while let c = peek(), predicate(c) { advance() }
        return String(decoding: bytes[begin..<index], as: UTF8.self)
    }

    /// `-?[0-9]+` is an integer; a fraction or exponent makes it a float; `-inf` is a float.
    private mutating func number(_ start: IRLocation) throws(IRParseError) -> IRToken {
        var text = ""
        if peek() == UInt8(ascii: "-") {
            advance()
            text = "-"
            if peek() == UInt8(ascii: "i") {
                let word = take(while: IRLexer.isWordByte)
                guard word == "inf" else { throw IRParseError(start, "expected a number after '-', found '\(word)'") }
                return .float(-.infinity)
            }
        }
        let digits = take { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        guard !digits.isEmpty else { throw IRParseError(start, "expected a number after '-'") }
        text += digits
        var isFloat = false
        if peek() == UInt8(ascii: "."), let d = peek(1), d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") {
            advance()
            text += "." + take { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            isFloat = true
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            advance()
            text += "e"
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                advance()
                text += String(UnicodeScalar(sign))
            }
            let exponent = take { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            guard !exponent.isEmpty else { throw IRParseError(start, "expected digits in the exponent of '\(text)'") }
            text += exponent
            isFloat = true
        }
        if let c = peek(), IRLexer.isWordByte(c) {
            throw IRParseError(location, "unexpected character '\(String(UnicodeScalar(c)))' after number '\(text)'")
        }
        if isFloat {
            guard let value = Double(text) else { throw IRParseError(start, "invalid float '\(text)'") }
            return .float(value)
        }
        // Sizes, indices and attributes of real models fit in 32 bits; bounding them here keeps
        // every type rule's arithmetic (2·padding + 1, start + count, row sums) free of overflow.
        guard let value = Int(text), value.magnitude <= UInt(IRLexer.maximumInteger) else {
            throw IRParseError(start, "integer '\(text)' is outside ±\(IRLexer.maximumInteger)")
        }
        return .integer(value)
    }

    /// A `"..."` literal starting at the current byte, with `\"`, `\\`, `\n`, `\t` escapes.
    private mutating func string(_ start: IRLocation) throws(IRParseError) -> String {
        advance()  // opening quote
        var out: [UInt8] = []
        while true {
            guard let c = peek(), c != UInt8(ascii: "\n") else {
                throw IRParseError(start, "unterminated string literal")
            }
            advance()
            if c == UInt8(ascii: "\"") { break }
            if c == UInt8(ascii: "\\") {
                let escapeLocation = location
                guard let e = peek() else { throw IRParseError(start, "unterminated string literal") }
                advance()
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(e)
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                default: throw IRParseError(escapeLocation, "unknown escape '\\\(String(UnicodeScalar(e)))' in string")
                }
            } else {
                out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
