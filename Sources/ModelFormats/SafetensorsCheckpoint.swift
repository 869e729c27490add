import Foundation
import JSON

/// A Hugging Face model folder: `config.json`, the weights in `model.safetensors` or in
/// shards listed by `model.safetensors.index.json`, and the tokenizer and generation files
/// next to them. Shard names from the index must be plain file names in the folder.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    public let folder: URL
    /// config.json, a JSON object.
    public let config: JSON
    /// generation_config.json, a JSON object, when present (default sampling settings).
    public let generationConfig: JSON?
    public let files: [SafetensorsFile]
    private let owner: [String: Int]  // tensor name → index into `files`

    /// Whether `path` looks like a checkpoint folder (a directory with a config.json).
    public static func isCheckpoint(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.fileExists(atPath: path + "/config.json")
    }

    public init(folder path: String) throws {
        let folder = URL(fileURLWithPath: path)
        self.folder = folder
        func bad(_ reason: String) -> ModelFormatError { .badCheckpoint(folder: path, reason: reason) }
        func json(_ name: String) throws -> JSON? {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
            guard let data = FileManager.default.contents(atPath: url.path) else { throw bad("\(name) cannot be read") }
            let object: JSON
            do { object = try JSONParser.parse(data) } catch { throw bad("\(name) is not JSON (\(error))") }
            guard case .object = object else { throw bad("\(name) is not a JSON object") }
            return object
        }
        guard let config = try json("config.json") else { throw bad("no config.json") }
        self.config = config
        generationConfig = try json("generation_config.json")

        let shardNames: [String]
        if let index = try json("model.safetensors.index.json") {
            guard case .object(let map)? = index["weight_map"] else { throw bad("model.safetensors.index.json has no weight_map") }
            var names = Set<String>()
            for (tensor, value) in map {
                guard let file = value.stringValue, !file.isEmpty, !file.contains("/"), !file.contains("\\"), file != ".", file != ".." else {
                    throw bad("the index puts '\(tensor)' in \(value.serialized), which is not a file name in the folder")
                }
                names.insert(file)
            }
            shardNames = names.sorted()
        } else if FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) {
            shardNames = ["model.safetensors"]
        } else {
            throw bad("neither model.safetensors nor model.safetensors.index.json")
        }
        let files = try shardNames.map { try SafetensorsFile(path: folder.appendingPathComponent($0).path) }
        self.files = files
        var owner: [String: Int] = [:]
        for (i, file) in files.enumerated() {
            for name in file.tensors.keys {
                if let j = owner.updateValue(i, forKey: name) { throw bad("tensor '\(name)' is in both \(files[j].path) and \(file.path)") }
            }
        }
        self.owner = owner
    }

    public var tensorNames: [String] { owner.keys.sorted() }

    public func hasTensor(_ name: String) -> Bool { owner[name] != nil }

    public func tensor(_ name: String) throws -> SafetensorsFile.Tensor {
        guard let i = owner[name] else { throw ModelFormatError.missingTensor(name) }
        return try files[i].tensor(name)
    }

    /// The architecture config.json names (`architectures[0]`, else `model_type`).
    public var architecture: String? {
        config["architectures"]?.arrayValue?.first?.stringValue ?? config["model_type"]?.stringValue
    }
}
