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
        let cases = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 100)
        var templates: [String: ChatTemplate] = [:]
        var families = Set<String>()
        for c in cases {
            let name = try XCTUnwrap(c["template"] as? String)
            families.insert(name)
            if templates[name] == nil {
                let source = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
                templates[name] = try ChatTemplate(source)
            }
            let variables: [String: TemplateValue] = [
                "messages": Self.value(c["messages"] ?? []),
                "add_generation_prompt": .bool(c["add_generation_prompt"] as? Bool ?? false),
                "bos_token": .string(c["bos_token"] as? String ?? ""), "eos_token": .string(c["eos_token"] as? String ?? ""),
                "strftime_now": ChatTemplate.fixedStrftime(year: 2026, month: 1, day: 15),
            ]
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
        XCTAssertGreaterThanOrEqual(families.count, 8)
    }

    func testEscapeFiltersEscapeAndSafeDoesNot() throws {
        // jinja2: {{ x|e }} and {{ x|escape }} give markupsafe's escaping, {{ x|safe }} the text.
        let template = try ChatTemplate("{{ x|e }}|{{ x|escape }}|{{ x|safe }}")
        XCTAssertEqual(try template.render(["x": .string("<a href=\"#\">'&'</a>")]),
                       "&lt;a href=&#34;#&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|&lt;a href=&#34;#&#34;&gt;&#39;&amp;&#39;&lt;/a&gt;|<a href=\"#\">'&'</a>")
    }
}
