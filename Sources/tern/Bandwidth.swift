import ArgumentParser
import Foundation
import Kernels
import Loader

/// `tern bandwidth`: this machine's memory read bandwidth now (GB/s, the fastest of a few
/// parallel reads of a 512 MB buffer). `tern bench` runs it as a child process around each
/// decode test, so that the probe's buffer adds nothing to the bench's own peak RSS and the
/// figure is taken when decode runs (the bandwidth of a shared host moves within minutes).
struct Bandwidth: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Measure the memory read bandwidth (GB/s).")

    @Option(name: [.customShort("t"), .long], help: "Reading threads (default: all cores).") var threads: Int?

    mutating func run() throws {
        print(String(format: "%.2f", ReadBandwidth.measure(pool: ComputePool(threadCount: threads ?? systemCoreCount())) / 1e9))
    }

    /// Bytes per second from a `tern bandwidth` child with `threads` threads; nil if it fails.
    static func measureInChild(threads: Int) -> Double? {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = ["bandwidth", "--threads", "\(threads)"]
        let out = Pipe()
        child.standardOutput = out
        do { try child.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        child.waitUntilExit()
        guard child.terminationStatus == 0, let text = String(data: data, encoding: .utf8),
              let gbs = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        return gbs * 1e9
    }
}
