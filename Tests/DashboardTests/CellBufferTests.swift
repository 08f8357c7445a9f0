import XCTest
@testable import Dashboard

final class CellBufferTests: XCTestCase {
    func testPutClipsAndDropsControlCharacters() {
        var buf = CellBuffer(width: 6, height: 1)
        let written = buf.put("a\u{7}b日c\u{301}defgh", x: 1, y: 0, style: .plain, maxWidth: 4)
        XCTAssertEqual(written, 4)
        XCTAssertEqual(buf.line(0), " ab?… ", "cut text ends in … so a cut value is not read as whole")
    }

    func testTextThatFitsIsNotMarkedCut() {
        var buf = CellBuffer(width: 6, height: 1)
        XCTAssertEqual(buf.put("ab\u{7}cd\u{301}", x: 0, y: 0, style: .plain, maxWidth: 4), 4)
        XCTAssertEqual(buf.line(0), "abcd  ")
        XCTAssertEqual(buf.put("xyz", x: 0, y: 0, style: .plain, maxWidth: 0), 0)
    }
}
