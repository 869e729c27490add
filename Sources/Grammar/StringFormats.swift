/// String `format`s as regexes over the string's content (a strict subset of what the
/// `jsonschema` package's format checker accepts), and the mapping of a pattern's characters
/// to JSON string content.
enum StringFormats {
    private static let year = "(?:[1-9]\\d{3}|0[1-9]\\d{2}|00[1-9]\\d|000[1-9])"
    private static let leapYear = "(?:\\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
    private static let monthDay = "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))"
    private static let date = "(?:\(year)-\(monthDay)|\(leapYear)-02-29)"
    private static let time = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,9})?(?:[Zz]|[+-](?:[01]\\d|2[0-3]):[0-5]\\d)"
    private static let hex = "[0-9a-fA-F]"

    /// Regex (full match) of each supported format: real calendar dates (leap years too),
    /// RFC 3339 times (seconds fraction up to 9 digits), a conservative e-mail shape, UUIDs.
    static let regex: [String: String] = [
        "date": date,
        "time": time,
        "date-time": "\(date)[Tt]\(time)",
        "email": "[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\\.[A-Za-z0-9-]{1,63}){1,4}",
        "uuid": "\(hex){8}-\(hex){4}-\(hex){4}-\(hex){4}-\(hex){12}",
    ]

    /// `e` (over decoded characters) as JSON string content: `"`, `\` and control characters
    /// become their escapes.
    static func jsonContent(_ e: GrammarExpr) -> GrammarExpr {
        switch e {
        case .bytes(let bs):
            return .seq(String(decoding: bs, as: UTF8.self).unicodeScalars.map { jsonContent(.chars(CodePointSet(scalar: $0.value))) })
        case .chars(let cs):
            let special = CodePointSet([0x00...0x1F, 0x22...0x22, 0x5C...0x5C])
            var options: [GrammarExpr] = []
            let plain = cs.subtracting(special)
            if !plain.isEmpty { options.append(.chars(plain)) }
            for r in cs.intersection(special).ranges {
                for c in r { options.append(.literal(escape(c))) }
            }
            return options.count == 1 ? options[0] : .alt(options)
        case .seq(let xs): return .seq(xs.map(jsonContent))
        case .alt(let xs): return .alt(xs.map(jsonContent))
        case .rep(let x, let lo, let hi): return .rep(jsonContent(x), min: lo, max: hi)
        case .ref: return e
        }
    }

    private static func escape(_ c: UInt32) -> String {
        switch c {
        case 0x22: return "\\\""
        case 0x5C: return "\\\\"
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x08: return "\\b"
        case 0x0C: return "\\f"
        default:
            let h = String(c, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - h.count) + h
        }
    }
}
