#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory. Tensors point straight into it: weights stay
/// as the file stores them and pages come in from the page cache on first touch.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// (count) bytes of the file; never written.
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelFormatError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFormatError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ModelFormatError.cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        guard size > 0 else { throw ModelFormatError.cannotOpen(path: path, reason: "file is empty") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ModelFormatError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    /// Drops the resident pages wholly inside [start, start + count) (bytes of this file that
    /// a packed copy has replaced): resident memory shrinks by them, and a later read brings
    /// them back from the file. Ranges outside the mapping are ignored.
    public func release(_ start: UnsafeRawPointer, count: Int) {
        guard let base = bytes.baseAddress, start >= base, start + count <= base + bytes.count else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), from = (Int(bitPattern: start) + page - 1) / page * page
        let to = (Int(bitPattern: start) + count) / page * page
        guard to > from, let p = UnsafeMutableRawPointer(bitPattern: from) else { return }
        _ = madvise(p, to - from, Int32(MADV_DONTNEED))
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}
