import Grammar
import JSON
import Tokenizers

/// How a model writes tool calls, found from its chat template's source:
///
/// - `hermes` (Qwen2.5, Qwen3, Hermes): `<tool_call>\n{"name": …, "arguments": {…}}\n</tool_call>`,
///   one block per call, separated by newlines.
/// - `llama3` (Llama 3.1–3.3): one `{"name": …, "parameters": {…}}` object, possibly after
///   the `<|python_tag|>` token.
/// - `mistral` (Mistral Nemo, …): `[TOOL_CALLS]` then a JSON array of call objects.
/// - `generic`: a template that does not render tools (SmolLM2, Gemma 3, …). Tern describes
///   the tools in the system prompt and asks for `<tool_call>{"name": …, "arguments": {…}}</tool_call>`,
///   one line per call.
struct ToolFormat: Sendable, Equatable {
    enum Family: String, Sendable { case hermes, llama3, mistral, generic }

    let family: Family

    /// The format `source` (a chat template) writes tool calls in.
    static func detect(template source: String?) -> ToolFormat {
        guard let s = source else { return ToolFormat(family: .generic) }
        if s.contains("<tool_call>") && s.contains("tools") { return ToolFormat(family: .hermes) }
        if s.contains("[TOOL_CALLS]") { return ToolFormat(family: .mistral) }
        if s.contains("\"parameters\": ") && (s.contains("<|python_tag|>") || s.contains("Given the following functions")) {
            return ToolFormat(family: .llama3)
        }
        return ToolFormat(family: .generic)
    }

    /// Whether the template renders `tools`, assistant `tool_calls` and `role: tool` itself.
    var isNative: Bool { family != .generic }

    /// The call object's key for the arguments.
    var argumentsKey: String { family == .llama3 ? "parameters" : "arguments" }

    /// The text that opens a block of calls (as detokenized; control tokens never show).
    var opening: String {
        switch family {
        case .hermes, .generic: return "<tool_call>"
        case .llama3: return "<|python_tag|>"
        case .mistral: return "[TOOL_CALLS]"
        }
    }

    /// A character that opens a block when it is the first of the output (after whitespace):
    /// Llama's call object, Mistral's array (its `[TOOL_CALLS]` is a control token).
    var leadingOpen: Character? {
        switch family {
        case .llama3: return "{"
        case .mistral: return "["
        case .hermes, .generic: return nil
        }
    }

    /// The text after each call object that ends it (hermes, generic).
    var closing: String {
        switch family {
        case .hermes: return "</tool_call>"
        case .generic: return "</tool_call>"
        case .llama3, .mistral: return ""
        }
    }

    /// Whether the model may write several calls (Llama 3's templates refuse more than one).
    var allowsSeveral: Bool { family != .llama3 }

    /// The grammar of the calls: `schema` (one call object), at most `maxCount` of them,
    /// framed in the family's syntax. `eager`: from the first token, so it writes the
    /// opening too; else it matches what follows the opening (the lazy trigger).
    func grammar(call schema: JSON, eager: Bool, maxCount: Int?, options: JSONSchemaOptions) throws -> Grammar {
        let count = allowsSeveral ? maxCount : 1
        switch family {
        case .hermes:
            return try Grammar(framing: schema, prefix: eager ? opening : "", open: "\n", close: "\n" + closing,
                               separator: "\n" + opening, maxCount: count, options: options)
        case .generic:
            return try Grammar(framing: schema, prefix: eager ? opening : "", close: closing, separator: "\n" + opening,
                               maxCount: count, options: options)
        case .mistral:
            return try Grammar(framing: schema, prefix: "[", separator: ", ", suffix: "]", maxCount: count, options: options)
        case .llama3:
            return try Grammar(framing: schema, maxCount: 1, options: options)
        }
    }

    /// What switches a lazy (`auto`) call grammar on: the opening's bytes, or its token when
    /// the tokenizer spells it as one control token. Nil when the model opens a call with
    /// nothing to watch for (Llama 3 without `<|python_tag|>`): calls are then parsed, not constrained.
    func trigger(_ tokenizer: any Tokenizer) -> (bytes: [UInt8]?, tokens: Set<Int32>)? {
        let ids = tokenizer.encode(opening, addSpecial: false, parseSpecial: true)
        if ids.count == 1, tokenizer.isControl(ids[0]) { return (nil, [ids[0]]) }
        return family == .llama3 ? nil : (Array(opening.utf8), [])
    }

    /// A call as the model writes it (generic format: for history turns the template cannot render).
    func written(name: String, arguments: JSON) -> String {
        opening + JSON.object([("name", .string(name)), (argumentsKey, arguments)]).serialized + closing
    }

    /// A new call id: Mistral's templates require 9 letters or digits; else OpenAI's `call_…`.
    func newCallID() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        let random = { (n: Int) in String((0 ..< n).map { _ in alphabet.randomElement() ?? "a" }) }
        return family == .mistral ? random(9) : "call_" + random(24)
    }
}
