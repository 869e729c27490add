import JSON

extension ToolRequest {
    /// The system-prompt section of the generic format (templates that do not render tools):
    /// each offered function as one JSON line, and the call envelope.
    var genericInstructions: String {
        let lines = functions.map { f in
            var entry: [(String, JSON)] = [("name", .string(f.name))]
            if let d = f.description { entry.append(("description", .string(d))) }
            entry.append(("parameters", f.parameters))
            return JSON.object(entry).serialized
        }
        let must: String
        switch choice {
        case .required: must = "You must call at least one tool now."
        case .named(let n): must = "You must call the tool \(n) now."
        case .none, .auto: must = "If no tool is needed, answer with plain text."
        }
        let count = parallel && !isNamed ? "one line per call, at most \(Self.maxParallelCalls) calls" : "one call"
        return """
            # Tools

            You can call these tools. Each line is one tool: its name, what it does, and the JSON Schema of its arguments.
            \(lines.joined(separator: "\n"))

            To call a tool, answer with only this line (\(count)):
            <tool_call>{"name": "<tool name>", "arguments": {<the arguments as JSON>}}</tool_call>
            \(must) A tool's result comes back in the next message.
            """
    }
}
