import ArgumentParser
import ChatTemplate
import Foundation
import JSON
import Loader

/// A benchmark's prompt set: a JSON array of `{"task": name, "messages": [...]}` (rendered with
/// the model's chat template) or `{"task": name, "prompt": text}`, grouped by task in order.
enum PromptSet {
    static func load(_ path: String, _ loaded: LoadedModel) throws -> [(task: String, prompts: [[Int32]])] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
        var groups: [(task: String, prompts: [[Int32]])] = []
        do {
            for entry in try JSONField(parsing: data, name: path).array() {
                let task = entry["task"].isNull ? "prompts" : try entry["task"].string()
                let ids = try tokens(entry, loaded)
                if let i = groups.firstIndex(where: { $0.task == task }) { groups[i].prompts.append(ids) } else { groups.append((task, [ids])) }
            }
        } catch let error as JSONFieldError {
            throw ValidationError(error.description)
        }
        return groups
    }

    private static func tokens(_ entry: JSONField, _ loaded: LoadedModel) throws -> [Int32] {
        let tokenizer = loaded.tokenizer
        if !entry["prompt"].isNull { return tokenizer.encode(try entry["prompt"].string(), addSpecial: true, parseSpecial: false) }
        guard let template = loaded.template else { throw ValidationError("the model has no chat template: give prompts as {\"prompt\": text}") }
        let messages = try entry["messages"].array().map { m in
            TemplateValue.object([("role", .string(try m["role"].string())), ("content", .string(try m["content"].string()))])
        }
        let text = try template.render([
            "messages": .array(messages), "add_generation_prompt": .bool(true),
            "bos_token": .string(tokenizer.bosTokenID.map { tokenizer.decode([$0], skipSpecial: false) } ?? ""),
            "eos_token": .string(tokenizer.eosTokenID.map { tokenizer.decode([$0], skipSpecial: false) } ?? ""),
        ])
        return tokenizer.encode(text, addSpecial: false, parseSpecial: true)
    }
}
