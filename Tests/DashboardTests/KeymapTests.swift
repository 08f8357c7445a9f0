import Foundation
import XCTest
@testable import Dashboard

final class KeymapTests: XCTestCase {
    /// A key means one thing in each scope (dispatch takes the first match, so a duplicate
    /// would be silently unreachable).
    func testNoKeyIsBoundTwiceInAScope() {
        for scope in KeyScope.allCases {
            let keys = Keymap.bindings(in: scope).flatMap(\.keys)
            XCTAssertEqual(keys.count, Set(keys).count, "duplicate key in \(scope)")
        }
    }

    /// Panel keys shadow global ones only where meant: the focused panel's scope comes first.
    func testPanelScopesWinOverGlobalOnes() {
        XCTAssertEqual(Keymap.action(for: .enter, in: [.setup, .navigation, .global]), .edit)
        XCTAssertEqual(Keymap.action(for: .char("l"), in: [.results, .navigation, .global]), .load)
        XCTAssertEqual(Keymap.action(for: .char("h"), in: [.results, .navigation, .global]), .left)
        XCTAssertNil(Keymap.action(for: .char("z"), in: KeyScope.allCases))
    }

    /// The README's key list is the keymap's own Markdown, so it cannot go stale.
    func testReadmeKeyListIsGeneratedFromTheKeymap() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        XCTAssertTrue(text.contains(Keymap.markdown()), "README.md's key list differs from `attnscope tui --print-keys`")
    }

    /// Help and the reproduce dialog have nothing to choose or move through: the footer
    /// offers only the keys that close them, and each of those does.
    func testHelpAndReproduceOfferOnlyTheKeysThatCloseThem() {
        for open in [Key.char("?"), .char("p")] {
            let (app, _, _) = Fixtures.app()
            Fixtures.keys(app, open)
            let offered = FooterBar(state: app.state, now: 0).bindings()
            XCTAssertEqual(offered.map(\.action), [.back], "\(open)")
            for key in offered.flatMap(\.keys) {
                Fixtures.keys(app, key)
                XCTAssertNil(app.state.modal, "\(key) after \(open)")
                Fixtures.keys(app, open)
            }
        }
    }
}
