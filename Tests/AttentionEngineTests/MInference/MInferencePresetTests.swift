import AttentionEngine
import Foundation
import XCTest

/// The shipped MInference presets decode and validate (every variant builds).
final class MInferencePresetTests: XCTestCase {
    func testPresetsAreValidRunSpecs() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for (name, seq) in [("minference-128k", 131_072), ("minference-1m", 1_048_576)] {
            let spec = try PresetFile.load(root.appendingPathComponent("presets/\(name).json").path)
            try spec.validate()
            XCTAssertEqual(spec.seq, seq)
            XCTAssertEqual(spec.workload, .llm)
            XCTAssertEqual(Set(spec.methods.filter { $0.method == "minference" }.compactMap { $0.params["pattern"] }),
                           ["a-shape", "vertical-slash", "block-sparse", "auto"], name)
        }
    }
}
