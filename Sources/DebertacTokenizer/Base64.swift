/// A strict decoder of standard base64 (RFC 4648 §4), as the `tokenizers` library writes
/// `precompiled_charsmap`: the `A–Z a–z 0–9 + /` alphabet, padded with `=` to a multiple of
/// 4 characters. Anything else is an error at the character's index: other characters
/// (white space included), `=` before the end or more than two of them, and padding bits that
/// are not zero (so every byte string has exactly one accepted encoding).
enum Base64 {
    struct DecodingError: Error, Equatable {
        /// Index of the offending character (or the length, when the length is wrong).
        let index: Int
        let message: String
    }

    static func decode(_ text: String) throws(DecodingError) -> [UInt8] {
        let input = Array(text.utf8)
        guard input.count % 4 == 0 else {
            throw DecodingError(index: input.count, message: "length \(input.count) is not a multiple of 4")
        }
        // One or two trailing '=' (a third is caught below as '=' before the end).
        var padding = 0
        if input.last == UInt8(ascii: "=") {
            padding = input[input.count - 2] == UInt8(ascii: "=") ? 2 : 1
        }
        var output: [UInt8] = []
        output.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let isLast = index + 4 == input.count
            var values = [UInt32](repeating: 0, count: 4)
            let significant = isLast ? 4 - padding : 4
            for k in 0..<4 {
                let c = input[index + k]
                if k >= significant {
                    guard c == UInt8(ascii: "=") else {
                        throw DecodingError(index: index + k, message: "expected '=' padding")
                    }
                    continue
                }
                guard let value = sextet(c) else {
                    let shown = c == UInt8(ascii: "=") ? "'=' before the end" : "character 0x\(hex2(c))"
                    throw DecodingError(index: index + k, message: "\(shown) is not base64")
                }
                values[k] = value
            }
            let group = values[0] << 18 | values[1] << 12 | values[2] << 6 | values[3]
            output.append(UInt8(group >> 16))
            if significant >= 3 { output.append(UInt8((group >> 8) & 0xFF)) }
            if significant == 4 { output.append(UInt8(group & 0xFF)) }
            // Bits below the last whole byte must be zero.
            let unusedMask: UInt32 = significant == 2 ? 0xFFFF : significant == 3 ? 0xFF : 0
            guard group & unusedMask == 0 else {
                throw DecodingError(index: index + significant - 1, message: "padding bits are not zero")
            }
            index += 4
        }
        return output
    }

    private static func sextet(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
