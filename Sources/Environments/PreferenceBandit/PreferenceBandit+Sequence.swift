import Foundation

/// The vocabulary of PreferenceBandit's sequence variant. Every token is one character in the text form:
///
/// | id | text | meaning |
/// |---|---|---|
/// | 0 | `_` | pad (never inside a response) |
/// | 1 | `$` | end of response (after the content tokens) |
/// | 2 | `:` | separator: ends the prompt; the response starts after it |
/// | 3 … 18 | `0`…`9`, `A`…`F` | hexadecimal digits of the context id (the prompt) |
/// | 19 … 19+V−1 | `a`, `b`, … | content tokens (V = contentCount ≤ 26) |
///
/// A prompt is the context id in `promptDigits` hex digits (most significant first) then `:`; a response is its
/// content tokens then `$`. Example: context 26 with 2 digits and response "cab" is `1A:` + `cab$`.
/// A sequence model's context must hold `promptDigits + 1 + maxTokens + 1` tokens.
public struct PreferenceBanditVocabulary: Codable, Equatable, Sendable {
    public static let pad = 0
    public static let end = 1
    public static let separator = 2
    public static let digitBase = 3
    public static let digitCount = 16
    /// First content token id.
    public static let contentStart = 19

    /// V, the number of content tokens.
    public let contentCount: Int
    /// Hex digits in a prompt: enough for the largest context id (at least 1).
    public let promptDigits: Int

    public init(contentCount: Int, contextCount: Int) {
        self.contentCount = Swift.min(26, Swift.max(1, contentCount))
        var digits = 1, capacity = 16
        while capacity < contextCount && digits < 15 { digits += 1; capacity *= 16 }
        promptDigits = digits
    }

    public var padToken: Int { Self.pad }
    public var endToken: Int { Self.end }
    public var separatorToken: Int { Self.separator }
    public var contentBase: Int { Self.contentStart }
    /// Total number of token ids (19 + V).
    public var size: Int { Self.contentStart + contentCount }

    public func isContent(_ token: Int) -> Bool { token >= contentBase && token < size }

    private static let digitCharacters: [Character] = Array("0123456789ABCDEF")
    private static let letters: [Character] = Array("abcdefghijklmnopqrstuvwxyz")

    /// The character of a token id, or nil for an id outside the vocabulary.
    public func character(of token: Int) -> Character? {
        switch token {
        case Self.pad: return "_"
        case Self.end: return "$"
        case Self.separator: return ":"
        case Self.digitBase..<(Self.digitBase + Self.digitCount): return Self.digitCharacters[token - Self.digitBase]
        case contentBase..<size: return Self.letters[token - contentBase]
        default: return nil
        }
    }

    /// The token id of a character, or nil when the character is not in the vocabulary.
    public func token(of character: Character) -> Int? {
        switch character {
        case "_": return Self.pad
        case "$": return Self.end
        case ":": return Self.separator
        default:
            if let i = Self.digitCharacters.firstIndex(of: character) { return Self.digitBase + i }
            if let i = Self.letters.firstIndex(of: character), i < contentCount { return contentBase + i }
            return nil
        }
    }

    /// Token ids of a text, one per character; nil when any character is outside the vocabulary.
    /// `decode(encode(s)!) == s` for every string over the vocabulary's characters.
    public func encode(_ text: String) -> [Int]? {
        var out: [Int] = []
        out.reserveCapacity(text.count)
        for ch in text {
            guard let t = token(of: ch) else { return nil }
            out.append(t)
        }
        return out
    }

    /// The text of token ids; an id outside the vocabulary becomes "?". Never traps.
    public func decode(_ tokens: [Int]) -> String {
        String(tokens.map { character(of: $0) ?? "?" })
    }

    /// The prompt of a context: its id in `promptDigits` hex digits, then the separator. Nil for a negative id or
    /// one that does not fit.
    public func prompt(context: Int) -> [Int]? {
        guard context >= 0 else { return nil }
        var digits = [Int](repeating: Self.digitBase, count: promptDigits)
        var rest = context
        for i in stride(from: promptDigits - 1, through: 0, by: -1) { digits[i] = Self.digitBase + rest % 16; rest /= 16 }
        guard rest == 0 else { return nil }
        return digits + [Self.separator]
    }

    /// A 64-bit key of a content string (base 27, so ≤ 13 tokens are exact); nil when a token is not content or the
    /// string is longer than 13 tokens.
    func key(_ content: [Int]) -> UInt64? {
        guard content.count <= 13 else { return nil }
        var k: UInt64 = 0
        for t in content {
            guard isContent(t) else { return nil }
            k = k &* 27 &+ UInt64(t - contentBase + 1)
        }
        return k
    }
}

/// How a generated response parsed.
public enum PreferenceBanditParseStatus: String, Codable, Equatable, Sendable {
    /// Content tokens then the end token, and the content is one of the context's candidates.
    case matched
    /// No end token (truncated or runaway generation).
    case missingEnd
    /// A non-content token (pad, separator, digit or an unknown id) before the end token.
    case invalidToken
    /// Well-formed, but not a candidate response of this context.
    case unknownResponse
    /// The context index is out of range.
    case invalidContext
}

/// The result of parsing a generated response.
public struct PreferenceBanditParse: Equatable, Sendable {
    public var status: PreferenceBanditParseStatus
    /// The matched response index (only when status is `.matched`).
    public var response: Int?
}

extension PreferenceBandit {
    /// The prompt tokens of a context (hex id + separator), or nil for an out-of-range context.
    public func promptTokens(context: Int) -> [Int]? {
        isValid(context: context) ? vocabulary.prompt(context: context) : nil
    }

    /// A response's tokens as a sequence policy emits them: content tokens then the end token. Nil when out of range.
    /// log π(y|x) of a sequence policy is the sum of log-probabilities over these L + 1 tokens.
    public func responseTokens(context: Int, response: Int) -> [Int]? {
        isValid(context: context, response: response) ? tokens[context][response] + [vocabulary.endToken] : nil
    }

    /// Tokens a sequence model needs in its context window: prompt + separator + longest response + end.
    public var sequenceLength: Int { vocabulary.promptDigits + 1 + config.maxTokens + 1 }

    /// Parses a generated response (the tokens after the separator): content tokens up to the first end token
    /// (anything after it is ignored) must spell one of the context's candidates. Total: any input gets a status.
    public func parseResponse(context: Int, tokens generated: [Int]) -> PreferenceBanditParse {
        guard isValid(context: context) else { return PreferenceBanditParse(status: .invalidContext, response: nil) }
        guard let end = generated.firstIndex(of: vocabulary.endToken) else {
            return PreferenceBanditParse(status: .missingEnd, response: nil)
        }
        for t in generated[..<end] where !vocabulary.isContent(t) {
            return PreferenceBanditParse(status: .invalidToken, response: nil)
        }
        guard end <= config.maxTokens, let key = vocabulary.key(Array(generated[..<end])), let y = responseByKey[context][key] else {
            return PreferenceBanditParse(status: .unknownResponse, response: nil)
        }
        return PreferenceBanditParse(status: .matched, response: y)
    }

    /// r*(x, y) of a generated response, or nil when it does not parse to a candidate (see `parseResponse`).
    public func goldReward(context: Int, tokens generated: [Int]) -> Double? {
        parseResponse(context: context, tokens: generated).response.map { goldRewards[context][$0] }
    }
}
