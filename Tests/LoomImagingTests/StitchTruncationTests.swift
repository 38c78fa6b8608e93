import LoomImaging
import Testing

/// ImageStitch with matching size at an unchanged size skips the resize but must still give what lanczos
/// gives there: the second image cut to 8 bits.
@Suite struct StitchTruncationTests {
    let first = Image(batchCount: 1, height: 3, width: 2, channels: 3,
                      pixels: (0..<18).map { Float($0) * 0.0537 + 0.0011 })
    let second = Image(batchCount: 1, height: 3, width: 4, channels: 3,
                       pixels: (0..<36).map { Float($0 % 11) * 0.0913 + 0.0007 })

    @Test(arguments: [StitchDirection.right, .left, .down, .up], [0, 2])
    func matchingAnUnchangedSizeTruncatesTheSecondImage(direction: StitchDirection, spacing: Int) {
        let other = direction == .right || direction == .left ? second : Image(
            batchCount: 1, height: 5, width: 2, channels: 3, pixels: (0..<30).map { Float($0 % 7) * 0.1371 + 0.0003 })
        let stitched = first.stitched(with: other, direction: direction, matchingSize: true, spacing: spacing, spacingColor: .black)
        let truncated = other.mapSamples { (($0 * 255).rounded(.towardZero)) / 255 }
        let expected = first.stitched(with: truncated, direction: direction, matchingSize: false, spacing: spacing, spacingColor: .black)
        #expect(stitched == expected)
        #expect(truncated != other)
    }
}
