/// How ComfyUI's `SDTokenizer` cuts a prompt into encoder windows.
public struct PromptWindowing: Equatable, Sendable {
    public var startToken: Int?
    public var endToken: Int?
    public var padToken: Int
    /// Window length, start and end tokens included.
    public var maxLength: Int
    public var padsToMaxLength: Bool
    /// The last window is padded to at least this many tokens.
    public var minLength: Int?
    /// Words of at least this many tokens may be split across windows; shorter ones move whole.
    public var maxWordLength = 8

    public init(startToken: Int?, endToken: Int?, padToken: Int, maxLength: Int, padsToMaxLength: Bool, minLength: Int? = nil) {
        self.startToken = startToken
        self.endToken = endToken
        self.padToken = padToken
        self.maxLength = maxLength
        self.padsToMaxLength = padsToMaxLength
        self.minLength = minLength
    }

    /// CLIP-L (SD1.x, SDXL, Flux): 77-token windows, each `<|startoftext|> … <|endoftext|>` padded
    /// with end tokens.
    public static let clip = PromptWindowing(
        startToken: CLIPTokenizer.startToken, endToken: CLIPTokenizer.endToken, padToken: CLIPTokenizer.endToken,
        maxLength: CLIPTokenizer.windowLength, padsToMaxLength: true)

    /// SDXL's CLIP-G: like CLIP-L but padded with token 0.
    public static let clipG = PromptWindowing(
        startToken: CLIPTokenizer.startToken, endToken: CLIPTokenizer.endToken, padToken: 0,
        maxLength: CLIPTokenizer.windowLength, padsToMaxLength: true)

    /// T5-XXL for Flux: one unbounded window ending in `</s>`, padded to at least 256 tokens.
    public static let fluxT5 = PromptWindowing(
        startToken: nil, endToken: T5Tokenizer.endToken, padToken: T5Tokenizer.padToken,
        maxLength: 99_999_999, padsToMaxLength: false, minLength: 256)

    /// T5-XXL for SD3: as for Flux, padded to at least 77 tokens.
    public static let sd3T5 = PromptWindowing(
        startToken: nil, endToken: T5Tokenizer.endToken, padToken: T5Tokenizer.padToken,
        maxLength: 99_999_999, padsToMaxLength: false, minLength: 77)

    /// Packs weighted words (each a list of tokens) into windows as ComfyUI does.
    func windows(of words: [[WeightedToken]]) -> [[WeightedToken]] {
        let start = startToken.map { WeightedToken(.id($0)) }
        let end = endToken.map { WeightedToken(.id($0)) }
        let pad = WeightedToken(.id(padToken))
        let room = maxLength - (end == nil ? 0 : 1)
        var windows: [[WeightedToken]] = []
        var window = start.map { [$0] } ?? []
        for var word in words {
            let isLarge = word.count >= maxWordLength
            while !word.isEmpty {
                guard word.count + window.count > room else {
                    window += word
                    word = []
                    break
                }
                let remaining = room - window.count
                if isLarge {
                    // Long words are cut to fill the window exactly.
                    window += word.prefix(remaining)
                    if let end { window.append(end) }
                    word.removeFirst(remaining)
                } else {
                    // Short words move whole to the next window; this one is closed and padded.
                    if let end { window.append(end) }
                    if padsToMaxLength { window += repeatElement(pad, count: remaining) }
                }
                windows.append(window)
                window = start.map { [$0] } ?? []
            }
        }
        if let end { window.append(end) }
        if padsToMaxLength, window.count < maxLength { window += repeatElement(pad, count: maxLength - window.count) }
        if let minLength, window.count < minLength { window += repeatElement(pad, count: minLength - window.count) }
        windows.append(window)
        return windows
    }
}
