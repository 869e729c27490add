import Foundation
import JSON

/// What Tern reads from a Hugging Face `tokenizer_config.json`: the BOS/EOS spellings,
/// whether to add them, and the chat template.
public struct HFTokenizerConfig: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    /// nil: the file does not say (tokenizer.json's post-processor decides).
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    public var chatTemplate: String?

    public init() {}

    public init(parsing data: Data) throws {
        let root = try TokenizerError.reading { try JSONField(parsing: data, name: "tokenizer_config.json") }
        try TokenizerError.reading {
            _ = try root.entries()  // an object
            bosToken = try Self.token(root["bos_token"])
            eosToken = try Self.token(root["eos_token"])
            addBOSToken = root["add_bos_token"].isNull ? nil : try root["add_bos_token"].bool(default: false)
            addEOSToken = root["add_eos_token"].isNull ? nil : try root["add_eos_token"].bool(default: false)
            chatTemplate = try Self.template(root["chat_template"])
        }
    }

    /// A token is a string or an AddedToken object (`{"content": "<s>", …}`).
    static func token(_ node: JSONField) throws -> String? {
        node.isNull ? nil : try node.value?.stringValue ?? node["content"].string()
    }

    /// A template is a string, or a list of named ones of which "default" (else the first) is used.
    static func template(_ node: JSONField) throws -> String? {
        if node.isNull { return nil }
        if case .string(let s)? = node.value { return s }
        let named = try node.array()
        let chosen = try named.first { try $0["name"].string() == "default" } ?? named.first
        return try chosen?["template"].string()
    }
}
