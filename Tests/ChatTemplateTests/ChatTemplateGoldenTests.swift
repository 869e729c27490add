import ChatTemplate
import Foundation
import XCTest

/// Every template of Tests/Fixtures/chat-templates renders exactly what Python's jinja2
/// rendered (golden.json, from scripts/golden/make_chat_golden.py), and raises where it raised.
final class ChatTemplateGoldenTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/chat-templates").standardized

    static func value(_ any: Any) -> TemplateValue {
        switch any {
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(i)
        case let a as [Any]: return .array(a.map(value))
        case let d as [String: Any]:
            // Message objects: keep role before content, as the golden script wrote them.
            let order = ["role", "content"]
            return .object(d.sorted { (order.firstIndex(of: $0.key) ?? 9, $0.key) < (order.firstIndex(of: $1.key) ?? 9, $1.key) }
                .map { ($0.key, value($0.value)) })
        default: return .none
        }
    }

    func testRendersMatchJinja2() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("golden.json"))
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let conversations = try XCTUnwrap(root["conversations"] as? [String: [String: Any]])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 300)
        var withTools = 0
        var templates: [String: ChatTemplate] = [:]
        var families = Set<String>()
        for c in cases {
            let name = try XCTUnwrap(c["template"] as? String)
            families.insert(name)
            if templates[name] == nil {
                let source = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
                templates[name] = try ChatTemplate(source)
            }
            let conversation = try XCTUnwrap(conversations[c["conversation"] as? String ?? ""])
            var variables: [String: TemplateValue] = [
                "messages": Self.value(conversation["messages"] ?? []),
                "add_generation_prompt": .bool(c["add_generation_prompt"] as? Bool ?? false),
                "bos_token": .string(c["bos_token"] as? String ?? ""), "eos_token": .string(c["eos_token"] as? String ?? ""),
                "strftime_now": ChatTemplate.fixedStrftime(year: 2026, month: 1, day: 15),
            ]
            if let tools = conversation["tools"] {  // Hugging Face's `tools=[...]`; undefined without
                variables["tools"] = Self.value(tools)
                withTools += 1
            }
            let label = "\(name) \(c["conversation"] ?? "") agp=\(c["add_generation_prompt"] ?? "")"
            if let expected = c["output"] as? String {
                XCTAssertEqual(try templates[name]?.render(variables), expected, label)
            } else {
                XCTAssertThrowsError(try templates[name]?.render(variables), label) { error in
                    guard case TemplateError.raised(let m) = error else { return XCTFail("\(label): \(error)") }
                    XCTAssertEqual(m, c["error"] as? String)
                }
            }
        }
        XCTAssertGreaterThanOrEqual(families.count, 13)
        XCTAssertGreaterThanOrEqual(withTools, 100)
    }

    func testEscapeFiltersEscapeAndSafeDoesNot() throws {
        // jinja2: {{ x|e }} and {{ x|escape }} give markupsafe's escaping, {{ x|safe }} the text.
        let template = try ChatTemplate("{{ x|e }}|{{ x|escape }}|{{ x|safe }}")
        XCTAssertEqual(try template.render(["x": .string("<a href=\"#\">'&'</a>")]),
                       "&lt;a href=&#34;#&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|&lt;a href=&#34;#&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|<a href=\"#\">'&'</a>")
    }

    static func render(_ source: String) throws -> String { try ChatTemplate(source).render([:]) }

    func testExpressionsRenderAsJinja() throws {
        XCTAssertEqual(try Self.render("{{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ [1, 2, 3].1 }} {{ none is none }} {{ True and 2 }} {#- c -#} "
                                       + "{{ '12'|int + ' 3 '|int }} {{ [1, 2]|length }} {{ 1 not in [2] }} {{ 3 is not odd }}"),
                       "el olleh 2 True 215 2 True False")
        XCTAssertEqual(try Self.render("{% raw %}{{ x }}{% endraw %}{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}"
                                       + "{{ 'a-b'.replace('-', '+').upper() }}"), "{{ x }}a=1A+B")
        // Python's floor division and modulo, `**` left-associative as in Jinja, a negative tojson indent as no indent.
        XCTAssertEqual(try Self.render("{{ -7 // 2 }} {{ -7 % 2 }} {{ 7 % -2 }} {{ 7.5 // 2 }} {{ 2 ** 3 ** 2 }}"), "-4 1 -1 3.0 64")
        XCTAssertEqual(try Self.render("{{ {'a': [1]} | tojson(indent=-1) }}"), "{\n\"a\": [\n1\n]\n}")
    }

    /// Template input must never trap the process (it used to, in range(), divisibleby, //, %, negation and abs).
    func testExtremeIntegersGiveResultsOrTemplateErrorsNotCrashes() throws {
        let min = "(-9223372036854775807 - 1)", max = "9223372036854775807"
        XCTAssertEqual(try Self.render("{{ range(\(max) - 2, \(max)) | list }} {{ range(5, \(min), \(min)) | list }}"),
                       "[9223372036854775805, 9223372036854775806] [5, -9223372036854775803]")
        XCTAssertEqual(try Self.render("{{ \(min) is divisibleby(-1) }} {{ [1, 2, 3][1::\(max)] }} {{ \(max) // 1 }}"), "True [2] \(max)")
        for source in ["{{ range(\(min), \(max)) }}", "{{ range(\(max), \(min), -1) }}", "{{ range(1, 2, 0) }}",
                       "{{ \(min) // -1 }}", "{{ \(min) % -1 }}", "{{ -\(min) }}", "{{ \(min) | abs }}"] {
            XCTAssertThrowsError(try Self.render(source), source) { error in
                guard case TemplateError.runtime = error else { return XCTFail("\(source): \(error)") }
            }
        }
    }
}
