/// The Unicode tables the tokenizer blob carries for the C encoder, computed once from Swift's
/// Unicode data (which follows the Unicode version of the Swift standard library, so it can
/// differ from the Python that made a reference tokenization for characters added since).
enum UnicodeTables {
    /// Every scalar whose full lowercase mapping (`Unicode.Scalar.Properties.lowercaseMapping`,
    /// SpecialCasing included, as Python's `str.lower`: 'İ' → "i̇") differs from itself, sorted by
    /// code point, with the UTF-8 of its lowercase. The slow tokenizer lowercases one character at
    /// a time (a `.+?` regex), so Python's final-sigma context never applies and a map is exact:
    /// 'Σ' → 'σ' everywhere.
    static let lowercaseMap: [(scalar: UInt32, lowercase: [UInt8])] = {
        var map: [(UInt32, [UInt8])] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let lower = scalar.properties.lowercaseMapping
            if lower.unicodeScalars.count == 1, lower.unicodeScalars.first == scalar { continue }
            map.append((value, Array(lower.utf8)))
        }
        return map
    }()

    /// transformers' `_is_punctuation` (tokenization_deberta_v2.py): ASCII 33–47, 58–64, 91–96
    /// and 123–126, and every scalar whose general category is P*, as sorted, disjoint,
    /// non-adjacent inclusive ranges.
    static let punctuationRanges: [ClosedRange<UInt32>] = {
        var ranges: [ClosedRange<UInt32>] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value), isPunctuation(scalar) else { continue }
            if let last = ranges.last, last.upperBound + 1 == value {
                ranges[ranges.count - 1] = last.lowerBound...value
            } else {
                ranges.append(value...value)
            }
        }
        return ranges
    }()

    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 33...47, 58...64, 91...96, 123...126: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
