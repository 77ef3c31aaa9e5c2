import CampaignEngine
import Crypto

/// sha256 as lower-case hex: content hashes, request fingerprints, input hashes.
public enum ContentHash {
    /// Hex sha256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> String {
        // Hashed from the bytes in place and written as hex straight into the string (this runs per resource).
        var hasher = SHA256()
        bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        let digest = hasher.finalize()
        return String(unsafeUninitializedCapacity: 2 * SHA256.Digest.byteCount) { text in
            digest.withUnsafeBytes { digest in
                for (index, byte) in digest.enumerated() {
                    text[2 * index] = hexDigit(byte >> 4)
                    text[2 * index + 1] = hexDigit(byte & 0x0F)
                }
            }
            return 2 * SHA256.Digest.byteCount
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// A hash of everything a plan is made from: every desired resource's identity, schedule and members.
    public static func inputs(_ desired: [DesiredResource]) -> String {
        var text = ""
        for resource in desired.sorted(by: { $0.key < $1.key }) {
            text += resource.key + "\u{1F}" + resource.name + "\u{1F}" + resource.provider + "\u{1F}" + resource.kind + "\u{1F}"
            text += "\(resource.hash)\u{1F}\(resource.schedule)\u{1F}\(resource.stopped)"
            for kind in (resource.members ?? [:]).keys.sorted() { text += "\u{1F}\(kind):" + (resource.members?[kind] ?? []).joined(separator: ",") }
            text += "\u{1E}"
        }
        return sha256(Array(text.utf8))
    }
}
