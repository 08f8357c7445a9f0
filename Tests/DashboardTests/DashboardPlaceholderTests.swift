import XCTest
@testable import Dashboard

final class DashboardTargetTests: XCTestCase {
    func testTargetLinks() { XCTAssertTrue(Bool(true)) }
}
