/// Picks the GGUF file of a repo by quantization name, matched as a whole dot- or
/// dash-separated part of the file name, case-insensitively: `Q4_K_M` finds
/// `model-Q4_K_M.gguf` and `model.q4_k_m.gguf` but not `model-Q4_K_M_L.gguf`.
public enum QuantSelector {
    /// The quantization chosen when a repo has several GGUF files and none was asked
    /// (llama.cpp's `-hf` picks the same).
    public static let preferred = "Q4_K_M"

    public static func pick(repo: String, files: [String], quant: String?) throws -> String {
        let ggufs = files.filter { $0.lowercased().hasSuffix(".gguf") && !isSplitShard($0) }.sorted()
        if let quant {
            if let match = ggufs.first(where: { matches($0, quant: quant) }) { return match }
            throw HubError.noMatchingFile(repo: repo, asked: quant, available: ggufs)
        }
        if ggufs.count == 1 { return ggufs[0] }
        if let match = ggufs.first(where: { matches($0, quant: preferred) }) { return match }
        throw HubError.noMatchingFile(repo: repo, asked: nil, available: ggufs)
    }

    static func matches(_ file: String, quant: String) -> Bool {
        let name = file.split(separator: "/").last.map(String.init) ?? file
        let parts = name.dropLast(5).split(whereSeparator: { $0 == "." || $0 == "-" })
        return parts.contains { $0.lowercased() == quant.lowercased() }
    }

    /// `model-00002-of-00003.gguf`: Tern reads single-file GGUFs only.
    static func isSplitShard(_ file: String) -> Bool {
        file.range(of: #"-\d{5}-of-\d{5}\.gguf$"#, options: [.regularExpression, .caseInsensitive]) != nil
    }
}

import Foundation
