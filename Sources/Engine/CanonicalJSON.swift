import Foundation

/// A value's key-sorted JSON and its FNV-1a (64-bit) hash: stable across runs and processes, so a configuration can
/// be hashed, compared and recorded (checkpoint metadata, config.json).
public enum CanonicalJSON {
    /// The value's JSON with sorted keys.
    public static func string<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    /// FNV-1a (64-bit) of `string(value)`, in hex.
    public static func hash<T: Encodable>(_ value: T) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in string(value).utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return String(h, radix: 16)
    }
}
