/// MLIR's tools read `--passes=` as "an empty pass list". ArgumentParser reads `--name=` as
/// `--name` followed by the next argument, so the driver's entry point rewrites an argument
/// `--name=` (nothing after the `=`) into `--name` and an explicit empty value first.
extension Debertac {
    static func main() {
        main(emptyOptionValuesSpelledOut(Array(CommandLine.arguments.dropFirst())))
    }

    /// `["--passes=", "x.ir"]` → `["--passes", "", "x.ir"]`; everything after `--` is kept as is.
    static func emptyOptionValuesSpelledOut(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var literal = false
        for argument in arguments {
            if !literal && argument.hasPrefix("--") && argument.count > 3 && argument.hasSuffix("=") {
                result += [String(argument.dropLast()), ""]
            } else {
                result.append(argument)
            }
            if argument == "--" { literal = true }
        }
        return result
    }
}
