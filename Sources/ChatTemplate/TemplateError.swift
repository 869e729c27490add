/// Why a template could not be parsed or rendered.
public enum TemplateError: Error, Equatable, CustomStringConvertible {
    /// The template text is not valid (in the subset this interpreter knows).
    case syntax(String, line: Int)
    /// The template called `raise_exception(message)`: the input is not what it accepts.
    case raised(String)
    /// Evaluation failed: an unknown filter, a call of a non-function, a type mismatch…
    case runtime(String)

    public var description: String {
        switch self {
        case .syntax(let m, let line): return "template syntax error on line \(line): \(m)"
        case .raised(let m): return m
        case .runtime(let m): return "template error: \(m)"
        }
    }
}
