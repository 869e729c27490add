import CCrypto
import Foundation

/// Streaming SHA-256 through OpenSSL's libcrypto (which uses the CPU's SHA instructions).
/// One thread at a time may use it (a download hands it to its writer thread).
public final class SHA256: @unchecked Sendable {
    private let context: OpaquePointer

    public init() throws {
        guard let context = EVP_MD_CTX_new() else {
            throw HubError.io(path: "", message: "libcrypto could not allocate a digest context")
        }
        self.context = context
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw HubError.io(path: "", message: "libcrypto has no SHA-256")
        }
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        _ = EVP_DigestUpdate(context, base, bytes.count)
    }

    /// Feeds a whole file (the part of a download already on disk, when resuming).
    public func update(file path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw HubError.io(path: path, message: "cannot be read")
        }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 4 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { update($0) }
        }
    }

    /// Lower-case hex digest; the context cannot be used afterwards.
    public func hexDigest() -> String {
        var digest = [UInt8](repeating: 0, count: 32)  // [32] bytes
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &digest, &length)
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
