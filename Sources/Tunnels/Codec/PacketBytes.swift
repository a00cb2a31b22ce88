/// Big-endian reads and writes on raw packet memory. Callers check lengths first.
extension UnsafeRawBufferPointer {
    @inline(__always) package func u8(_ offset: Int) -> UInt8 { self[offset] }
    @inline(__always) package func u16(_ offset: Int) -> UInt16 { UInt16(self[offset]) << 8 | UInt16(self[offset + 1]) }
    @inline(__always) package func u32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }
    @inline(__always) package func u64(_ offset: Int) -> UInt64 { UInt64(u32(offset)) << 32 | UInt64(u32(offset + 4)) }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always) package func put16(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
    @inline(__always) package func put32(_ value: UInt32, at offset: Int) {
        put16(UInt16(value >> 16), at: offset)
        put16(UInt16(truncatingIfNeeded: value), at: offset + 2)
    }
    @inline(__always) package func put64(_ value: UInt64, at offset: Int) {
        put32(UInt32(value >> 32), at: offset)
        put32(UInt32(truncatingIfNeeded: value), at: offset + 4)
    }
}

/// The Internet checksum (RFC 1071) of `bytes`.
package func internetChecksum(_ bytes: UnsafeRawBufferPointer) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index + 1 < bytes.count {
        sum &+= UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
        index += 2
    }
    if index < bytes.count { sum &+= UInt32(bytes[index]) << 8 }
    while sum >> 16 != 0 { sum = (sum & 0xffff) &+ (sum >> 16) }
    return ~UInt16(sum)
}
