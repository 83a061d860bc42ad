/// A syntax or name-resolution error in IR text, at a line and column.
///
/// Type and shape errors in well-formed text are the verifier's (`VerificationError`),
/// which also carries locations for parsed graphs.
public struct IRParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Where the problem starts.
    public let location: IRLocation
    /// What is wrong and what was expected, lowercase.
    public let message: String

    /// An error at `location`.
    public init(_ location: IRLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `line:column: message`.
    public var description: String { "\(location): \(message)" }
}
