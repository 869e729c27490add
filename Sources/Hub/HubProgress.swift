import Foundation

/// Download progress on standard error: on a terminal a bar per file redrawn in place
/// (bytes, percent, rate, ETA); otherwise (logs) one line every few seconds.
public final class HubProgress: @unchecked Sendable {
    public enum Style: Sendable { case bar, lines(interval: Double), silent }

    let style: Style
    private var name = ""
    private var total: Int64?
    private var startBytes: Int64 = 0
    private var bytes: Int64 = 0
    private var started = Date()
    private var lastDraw = Date.distantPast

    public init(style: Style) { self.style = style }

    /// A bar when standard error is a terminal, a line every 5 seconds when it is not.
    public static func automatic() -> HubProgress {
        HubProgress(style: isatty(2) != 0 ? .bar : .lines(interval: 5))
    }

    public func begin(file: String, total: Int64?, resumedFrom: Int64) {
        name = file
        self.total = total
        startBytes = resumedFrom
        bytes = resumedFrom
        started = Date()
        lastDraw = .distantPast
        if case .lines = style {
            let resumed = resumedFrom > 0 ? ", resuming at \(HubProgress.format(bytes: resumedFrom))" : ""
            emit("downloading \(file) (\(total.map(HubProgress.format(bytes:)) ?? "size unknown")\(resumed))\n")
        }
    }

    public func advance(by count: Int) {
        bytes += Int64(count)
        let now = Date()
        switch style {
        case .bar where now.timeIntervalSince(lastDraw) >= 0.1:
            lastDraw = now
            emit("\r" + line(now: now) + "\u{1B}[K")
        case .lines(let interval) where now.timeIntervalSince(lastDraw) >= interval:
            if lastDraw != .distantPast { emit(line(now: now) + "\n") }
            lastDraw = now
        default: break
        }
    }

    public func end() {
        switch style {
        case .bar: emit("\r" + line(now: Date()) + "\u{1B}[K\n")
        case .lines: emit(line(now: Date()) + ", done\n")
        case .silent: break
        }
    }

    /// `model.gguf  45% 112.5 MB/250.0 MB  80.1 MB/s  ETA 0:02`
    public func line(now: Date) -> String {
        let elapsed = max(now.timeIntervalSince(started), 1e-3)
        let rate = Double(bytes - startBytes) / elapsed
        guard let total, total > 0 else { return "\(name)  \(HubProgress.format(bytes: bytes))  \(HubProgress.format(bytes: Int64(rate)))/s" }
        let percent = Int(Double(bytes) * 100 / Double(total))
        var parts = [name, "\(percent)% \(HubProgress.format(bytes: bytes))/\(HubProgress.format(bytes: total))"]
        parts.append("\(HubProgress.format(bytes: Int64(rate)))/s")
        if rate > 0 {
            let eta = Int((Double(max(total - bytes, 0)) / rate).rounded())
            parts.append(String(format: "ETA %d:%02d", eta / 60, eta % 60))
        }
        return parts.joined(separator: "  ")
    }

    static func format(bytes: Int64) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return String(format: "%.2f GB", value / 1e9) }
        if value >= 1e6 { return String(format: "%.1f MB", value / 1e6) }
        if value >= 1e3 { return String(format: "%.1f kB", value / 1e3) }
        return "\(bytes) B"
    }

    private func emit(_ text: String) {
        if case .silent = style { return }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
