/// A heap buffer of floats with a stable address, for activations and scratch space.
/// The shape is the owner's business: every owner states it in a comment.
public final class FloatBuffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var count: Int

    /// `zeroed: false` skips clearing, for a buffer its first user overwrites entirely (the
    /// logits of a step: 1 MB per row of a 262k vocabulary).
    public init(count: Int, zeroed: Bool = true) {
        self.count = max(count, 1)
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: self.count)
        if zeroed { pointer.initialize(repeating: 0, count: self.count) }
    }

    deinit { pointer.deallocate() }

    /// Replaces the contents with `count` zeros (for scratch that must grow).
    public func resize(_ newCount: Int) {
        pointer.deallocate()
        count = max(newCount, 1)
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
        pointer.initialize(repeating: 0, count: count)
    }

    public subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Row `r` of a row-major matrix with rows of `width` floats.
    @inline(__always) public func row(_ r: Int, width: Int) -> UnsafeMutablePointer<Float> { pointer + r * width }

}

/// A growable byte scratch area (e.g. quantized activations), reallocated only when it must grow.
public final class ByteScratch: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutableRawPointer
    public private(set) var capacity: Int

    public init(capacity: Int = 1 << 16) {
        self.capacity = capacity
        pointer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 64)
    }

    deinit { pointer.deallocate() }

    public func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity {
            pointer.deallocate()
            capacity = bytes
            pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        }
        return pointer
    }
}
