import ModelFormats

/// How a sequence's final hidden states (after the output norm) become one embedding vector:
/// the last token's (decoders' default), the mean over every token, or the first token's
/// (BERT's [CLS]). The vector is then L2-normalized.
public enum Pooling: String, Sendable, CaseIterable {
    case last, mean, cls

    /// llama.cpp's `<arch>.pooling_type` codes: 1 mean, 2 cls, 3 last (0 none and 4 rank name
    /// no pooling Tern embeds with: nil).
    public init?(ggufCode: Int) {
        switch ggufCode {
        case 1: self = .mean
        case 2: self = .cls
        case 3: self = .last
        default: return nil
        }
    }

    /// A file's `<arch>.pooling_type`, if it names one Tern runs.
    public static func fromGGUF(_ file: GGUFFile) -> Pooling? {
        guard let arch = file.metadata["general.architecture"]?.string,
              let code = file.metadata["\(arch).pooling_type"]?.int else { return nil }
        return Pooling(ggufCode: code)
    }
}
