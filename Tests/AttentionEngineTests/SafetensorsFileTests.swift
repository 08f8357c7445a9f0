@testable import AttentionEngine
import Foundation
import TestSupport
import XCTest

final class SafetensorsFileTests: XCTestCase {
    /// A file as the format defines it: the header's length (8 bytes, little-endian), the
    /// JSON header, then `data`.
    func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil) -> Data {
        let text = Array(header.utf8)
        var out = Data((0..<8).map { UInt8(truncatingIfNeeded: (length ?? UInt64(text.count)) >> (8 * UInt64($0))) })
        out.append(contentsOf: text)
        out.append(contentsOf: data)
        return out
    }

    func write(_ data: Data) throws -> String {
        let path = try temporaryDirectory() + "/t.safetensors"
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Tensors are found by name wherever they sit in the data, and F32, F16, BF16 and F64
    /// arrive as the float32 values they hold; [N, D] is one head.
    func testReadsNamedTensorsInEveryFloatFormat() throws {
        let f32: [Float] = [1, -2, 3.5, 4, 5, 6], f16: [Float16] = [0.5, -0.25, 65504, 1], f64: [Double] = [1.0 / 3, -7]
        let bf16Values: [Float] = [1.5, -2.75, Float(bitPattern: 0x7F7F_0000), 0.0078125]  // each exactly a bfloat16 (the third its largest)
        let bf16 = bf16Values.map { UInt16($0.bitPattern >> 16) }
        let blobs = [rawBytes(f64), rawBytes(bf16), rawBytes(f32), rawBytes(f16)]
        let ends = blobs.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        let header = """
            {"__metadata__": {"format": "pt"},
             "d": {"dtype": "F64", "shape": [1, 2], "data_offsets": [\(ends[0]), \(ends[1])]},
             "b": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [\(ends[1]), \(ends[2])]},
             "s": {"dtype": "F32", "shape": [2, 1, 3], "data_offsets": [\(ends[2]), \(ends[3])]},
             "h": {"dtype": "F16", "shape": [1, 2, 2], "data_offsets": [\(ends[3]), \(ends[4])]}}
            """
        let path = try write(file(header, data: blobs.flatMap { $0 }))
        let t = try SafetensorsFile.read(path: path, names: ["s", "h", "b", "d"])
        XCTAssertEqual(t[0], HeadTensor(heads: 2, seq: 1, dim: 3, data: f32))
        XCTAssertEqual(t[1], HeadTensor(heads: 1, seq: 2, dim: 2, data: f16.map(Float.init)))
        XCTAssertEqual(t[2], HeadTensor(heads: 1, seq: 2, dim: 2, data: bf16Values))
        XCTAssertEqual(t[3], HeadTensor(heads: 1, seq: 1, dim: 2, data: f64.map(Float.init)))
        XCTAssertEqual(try SafetensorsFile.layouts(path: path, names: ["s"]).first?.shape,
                       AttentionShape(seq: 1, heads: 2, kvHeads: 2, headDim: 3), "the header alone gives the shape")
    }

    func testRejectsWhatItCannotRead() throws {
        let four = rawBytes([Float](repeating: 1, count: 4))
        func entry(_ dtype: String = "F32", shape: String = "[2, 2]", offsets: String = "[0, 16]") -> String {
            #"{"q": {"dtype": "\#(dtype)", "shape": \#(shape), "data_offsets": \#(offsets)}, "x": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}}"#
        }
        let cases: [(Data, String)] = [
            (file(entry(), data: four, length: 1 << 40), "not a .safetensors file (its first 8 bytes give a header of 1099511627776 bytes"),
            (file(entry(), data: four, length: .max), "header of 18446744073709551615 bytes"),
            (Data([1, 2, 3]), "shorter than the 8-byte header length"),
            (file("[1, 2]", data: four), "its header is not a JSON object"),
            (file("{not json", data: four), "not valid JSON"),
            (file(#"{"x": {"dtype": "F32", "shape": [1, 1], "data_offsets": [0, 4]}}"#, data: four), "has no tensor 'q' (it holds 'x')"),
            (file(#"{"q": [0, 16]}"#, data: four), "field 'q' is not a tensor entry"),
            (file(entry("I32"), data: four), "tensor 'q': dtype 'I32' is not supported"),
            (file(entry(shape: "[1, 1, 2, 2]"), data: four), "has 4 dimensions"),
            (file(entry(shape: "[2, 0]"), data: four), "is empty"),
            (file(entry(shape: "[2, null]"), data: four), "'q.shape[1]' is null"),
            (file(entry(offsets: "[0, 12]"), data: four), "data_offsets span 12 bytes, but shape [2, 2] in F32 is 16"),
            (file(entry(offsets: "[0, 20]"), data: four), "'q.data_offsets[1]'"),
            (file(entry(offsets: "[8]"), data: four), "'q.data_offsets' must be [begin, end]"),
            (file(entry(shape: "[4294967295, 2147483647, 2147483647]"), data: four), "too large"),
        ]
        for (data, expected) in cases {
            let path = try write(data)
            assertDataError(try SafetensorsFile.read(path: path, names: ["q"]), naming: [expected], startingWith: path)
        }
    }
}
