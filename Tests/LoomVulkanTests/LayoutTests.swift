@testable import LoomVulkan
import XCTest

/// Host-side shape plumbing that decides how many index divisions element-wise shaders do.
final class LayoutTests: XCTestCase {
    func testContiguousOperandsCollapseToOneDimension() {
        let merged = collapseDimensions(shape: [2, 3, 4], strides: [[12, 4, 1], [12, 4, 1]])
        XCTAssertEqual(merged.shape, [24])
        XCTAssertEqual(merged.strides, [[1], [1]])
    }

    func testBroadcastRowVectorKeepsTwoDimensions() {
        // a [2, 3, 4] contiguous plus b [4] broadcast over the leading dimensions.
        let merged = collapseDimensions(shape: [2, 3, 4], strides: [[12, 4, 1], [0, 0, 1]])
        XCTAssertEqual(merged.shape, [6, 4])
        XCTAssertEqual(merged.strides, [[4, 1], [0, 1]])
    }

    func testTransposedViewAndSizeOneDimensions() {
        let merged = collapseDimensions(shape: [1, 9, 1, 6], strides: [[54, 1, 6, 9]])
        XCTAssertEqual(merged.shape, [9, 6])
        XCTAssertEqual(merged.strides, [[1, 9]])
        XCTAssertEqual(collapseDimensions(shape: [1, 1], strides: [[1, 1]]).shape, [1])
    }

    func testStridedLayoutPadsToRankFour() throws {
        let layout = try stridedLayout(shape: [5, 7], strides: [[14, 2]], operation: "test")
        XCTAssertEqual(layout.rank, 1)
        XCTAssertEqual(layout.shape, [1, 1, 1, 35])
        XCTAssertEqual(layout.strides, [[0, 0, 0, 2]])
        XCTAssertThrowsError(try stridedLayout(shape: [2, 2, 2, 2, 2], strides: [[16, 1, 8, 2, 4]], operation: "test"))
    }
}
