import XCTest
@testable import Dashboard

final class CellBufferTests: XCTestCase {
    func testPutClipsAndDropsControlCharacters() {
        var buf = CellBuffer(width: 6, height: 1)
        let written = buf.put("a\u{7}b日c\u{301}defgh", x: 1, y: 0, style: .plain, maxWidth: 4)
        XCTAssertEqual(written, 4)
        XCTAssertEqual(buf.line(0), " ab?c ")
    }
}
