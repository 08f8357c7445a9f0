import XCTest
import AttentionEngine
import Foundation

/// Inputs from the project's own generator with a given shape, for tests.
public func randomInputs(seq: Int, heads: Int = 2, kvHeads: Int? = nil, dim: Int = 32, causal: Bool = true,
                         workload: WorkloadKind = .random, seed: UInt64 = 7) -> AttentionInputs {
    let shape = AttentionShape(seq: seq, heads: heads, kvHeads: kvHeads ?? heads, headDim: dim)
    let g = workload.generator
    return AttentionInputs(q: g.tensor(.q, shape: shape, seed: seed, threads: 2),
                           k: g.tensor(.k, shape: shape, seed: seed, threads: 2),
                           v: g.tensor(.v, shape: shape, seed: seed, threads: 2), causal: causal)
}

/// Relative L2 distance of a method's output from the float64 reference on all rows.
public func relativeErrorAgainstReference(_ output: HeadTensor, _ inputs: AttentionInputs) throws -> Double {
    let reference = try Reference.compute(inputs, rows: Array(0..<inputs.seq), threads: 2)
    return ErrorMetrics(output: output, reference: reference).relL2
}

/// A fresh empty temporary directory.
public func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "attnscope-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Absolute path of a file in the source tree (e.g. `presets/data/phi35_longrope_factors.json`).
public func projectFile(_ relative: String) -> String {
    let thisFile: String = #filePath  // Tests/TestSupport/TestSupport.swift
    return URL(fileURLWithPath: thisFile).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(relative).path
}

/// Writes `text` to `name` in a fresh temporary directory and returns the file's path.
public func temporaryFile(_ name: String, _ text: String) throws -> String {
    let path = try temporaryDirectory() + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Asserts that building the method from `spec` (`NAME:key=value,...`) is a usage error
/// (exit 64) whose message mentions `needle`, e.g. the offending key.
public func assertMethodSpecRejected(_ spec: String, mentions needle: String,
                                     file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try MethodRegistry.make(MethodSpec(parsing: spec)), spec, file: file, line: line) { error in
        XCTAssertEqual((error as? EngineError)?.kind, .usage, "\(error)", file: file, line: line)
        XCTAssertTrue((error as? EngineError)?.message.contains(needle) ?? false, "\(error) should mention \(needle)", file: file, line: line)
    }
}

/// The bytes of `values` as they lie in memory (little-endian here), for writing test files.
public func rawBytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

/// Asserts that `body` fails with a bad-input error (exit 65) whose message mentions every
/// one of `texts` and, when given, starts with `prefix` (the file's name).
public func assertDataError<T>(_ body: @autoclosure () throws -> T, naming texts: [String], startingWith prefix: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try body(), "\(texts)", file: file, line: line) { error in
        let e = error as? EngineError
        XCTAssertEqual(e?.kind, .data, "\(error)", file: file, line: line)
        XCTAssertEqual(e?.exitCode, 65, file: file, line: line)
        let message = e?.message ?? "\(error)"
        if let prefix { XCTAssertTrue(message.hasPrefix(prefix), "\(message) should start with \(prefix)", file: file, line: line) }
        for t in texts { XCTAssertTrue(message.contains(t), "'\(t)' missing from: \(message)", file: file, line: line) }
    }
}
