/// A bump allocator for the buffers of one training or sampling step.
///
/// Every activation and gradient of a step is carved out of large slabs; `reset()` rewinds to the start and keeps the
/// slabs, so after the first step of a fixed-shape loop no memory is allocated at all. Buffers are 64-byte aligned
/// (one cache line, one AVX-512 register). Pointers handed out stay valid until the next `reset()`.
public final class Arena {
    private var slabs: [(base: UnsafeMutableRawPointer, bytes: Int)] = []
    private var slab = 0        // current slab index
    private var offset = 0      // bytes used in the current slab
    private let slabBytes: Int
    /// Bytes handed out since the last reset (for diagnostics and tests).
    public private(set) var bytesInUse = 0

    public init(slabBytes: Int = 16 << 20) { self.slabBytes = slabBytes }

    deinit { for s in slabs { s.base.deallocate() } }

    /// Total bytes reserved in slabs.
    public var capacity: Int { slabs.reduce(0) { $0 + $1.bytes } }

    public func reset() { slab = 0; offset = 0; bytesInUse = 0 }

    public func allocate<T>(_ type: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        let bytes = Swift.max(64, (count * MemoryLayout<T>.stride + 63) & ~63)
        while slab < slabs.count {
            if offset + bytes <= slabs[slab].bytes {
                let p = slabs[slab].base + offset
                offset += bytes; bytesInUse += bytes
                return p.bindMemory(to: T.self, capacity: count)
            }
            slab += 1; offset = 0
        }
        let size = Swift.max(slabBytes, bytes)
        let base = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        slabs.append((base, size))
        slab = slabs.count - 1
        offset = bytes; bytesInUse += bytes
        return base.bindMemory(to: T.self, capacity: count)
    }

    /// A zero-filled Float buffer.
    public func zeros(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = allocate(Float.self, count: count)
        p.initialize(repeating: 0, count: count)
        return p
    }
}
