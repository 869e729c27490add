import JSON

/// The envelope every response object and stream chunk of one request shares: `id`,
/// `object`, `created`, `model`, and `usage: null` on chunks when usage was asked for.
struct ChunkShape {
    let id: String
    let object: String
    let created: Int
    let model: String
    var includeUsage: Bool

    init(id: String, object: String, service: ModelService, includeUsage: Bool) {
        self.id = id
        self.object = object
        created = Int(Date().timeIntervalSince1970)
        model = service.modelName
        self.includeUsage = includeUsage
    }

    private func head(_ object: String) -> [(String, JSON)] {
        [("id", .string(id)), ("object", .string(object)), ("created", .int(created)), ("model", .string(model))]
    }

    /// One streamed choice: `body` fields then `finish_reason`.
    func make(choice: Int, body: [(String, JSON)], finish: String?) -> String {
        let c: JSON = .object([("index", .int(choice))] + body + [("finish_reason", finish.map { .string($0) } ?? .null)])
        var fields = head(object) + [("choices", .array([c]))]
        if includeUsage { fields.append(("usage", .null)) }
        return JSON.object(fields).serialized
    }

    func usageChunk(_ usage: JSON) -> String {
        JSON.object(head(object) + [("choices", .array([])), ("usage", usage)]).serialized
    }

    /// The non-streamed response object.
    func complete(choices: [JSON], usage: JSON, object: String? = nil) -> JSON {
        .object(head(object ?? self.object) + [("choices", .array(choices)), ("usage", usage)])
    }
}

import Foundation
