import Engine
import JSON
import Tokenizers

/// The two wire shapes of logprobs: the legacy completions object and chat's `content` list.
enum LogprobsFormat {
    static func tokenText(_ id: Int32, _ tokenizer: any Tokenizer) -> String {
        String(decoding: tokenizer.tokenBytes(id), as: UTF8.self)
    }

    /// `{"tokens","token_logprobs","top_logprobs","text_offset"}` for tokens[range];
    /// `offset` is the text offset of the first token. The sampled token always appears in
    /// its `top_logprobs` entry (so it may hold k+1 entries, as OpenAI documents).
    /// A missing entry (the first prompt token under echo) shows as null.
    static func legacy(ids: ArraySlice<Int32>, logprobs: ArraySlice<TokenLogprobs?>, offset: Int,
                       tokenizer: any Tokenizer) -> (json: JSON, endOffset: Int) {
        var tokens: [JSON] = [], values: [JSON] = [], tops: [JSON] = [], offsets: [JSON] = []
        var at = offset
        for (id, entry) in zip(ids, logprobs) {
            let text = tokenText(id, tokenizer)
            tokens.append(.string(text))
            offsets.append(.int(at))
            at += text.unicodeScalars.count
            guard let lp = entry else {
                values.append(.null)
                tops.append(.null)
                continue
            }
            values.append(.float(lp.logprob))
            var top: [(String, JSON)] = lp.top.map { (tokenText($0.id, tokenizer), .float($0.logprob)) }
            if !lp.top.contains(where: { $0.id == id }) { top.append((text, .float(lp.logprob))) }
            var seen = Set<String>()
            top = top.filter { seen.insert($0.0).inserted }
            tops.append(.object(top))
        }
        return (.object([("tokens", .array(tokens)), ("token_logprobs", .array(values)),
                         ("top_logprobs", .array(tops)), ("text_offset", .array(offsets))]), at)
    }

    /// Chat's `[{"token","logprob","bytes","top_logprobs":[…]}]`.
    static func chatContent(ids: ArraySlice<Int32>, logprobs: ArraySlice<TokenLogprobs>, tokenizer: any Tokenizer) -> JSON {
        func entry(_ id: Int32, _ lp: Float) -> [(String, JSON)] {
            let bytes = tokenizer.tokenBytes(id)
            return [("token", .string(String(decoding: bytes, as: UTF8.self))), ("logprob", .float(lp)),
                    ("bytes", .array(bytes.map { .int(Int($0)) }))]
        }
        return .array(zip(ids, logprobs).map { id, lp in
            .object(entry(id, lp.logprob) + [("top_logprobs", .array(lp.top.map { .object(entry($0.id, $0.logprob)) }))])
        })
    }
}
