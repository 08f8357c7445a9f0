@testable import AttentionEngine
import Foundation
import TestSupport
import XCTest

final class NPYFileTests: XCTestCase {
    /// A .npy file as NumPy would write it, with the given format version and raw payload.
    func npy(version: UInt8 = 1, descr: String = "<f4", fortran: Bool = false, shape: String, payload: [UInt8]) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        let pre = version == 1 ? 10 : 12
        header += String(repeating: " ", count: (64 - (pre + header.utf8.count + 1) % 64) % 64) + "\n"
        var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version, 0])
        let n = header.utf8.count
        d.append(contentsOf: version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0])
        d.append(contentsOf: Array(header.utf8))
        d.append(contentsOf: payload)
        return d
    }

    /// `layout(path:)` reads only the header (so a run can check memory before loading) and
    /// agrees with a full read; it applies the same checks to the header and the file's size.
    func testShapeFromTheHeaderAloneMatchesTheFullRead() throws {
        let dir = try temporaryDirectory()
        for (version, shape) in [(UInt8(1), "(3, 5, 4)"), (2, "(7, 2)"), (3, "(2, 1, 6)")] {
            let path = dir + "/v\(version).npy"
            let count = shape.dropFirst().dropLast().split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces))! }.reduce(1, *)
            try npy(version: version, shape: shape, payload: rawBytes((0..<count).map { Float($0) })).write(to: URL(fileURLWithPath: path))
            let t = try NPYFile.read(path: path)
            XCTAssertEqual(try NPYFile.layout(path: path).shape, AttentionShape(seq: t.seq, heads: t.heads, kvHeads: t.heads, headDim: t.dim), shape)
            XCTAssertEqual(t.data, (0..<count).map { Float($0) })
        }
        try npy(shape: "(4, 4)", payload: rawBytes([Float](repeating: 1, count: 15))).write(to: URL(fileURLWithPath: dir + "/short.npy"))
        for path in [dir + "/short.npy", dir + "/absent.npy"] {
            var errors: [EngineError?] = []
            XCTAssertThrowsError(try NPYFile.layout(path: path).shape) { errors.append($0 as? EngineError) }
            XCTAssertThrowsError(try NPYFile.read(path: path)) { errors.append($0 as? EngineError) }
            XCTAssertEqual(errors.count, 2)
            XCTAssertNotNil(errors.first ?? nil)
            XCTAssertEqual(errors.first, errors.last, path)
        }
    }

    func testReadsAllThreeHeaderVersions() throws {
        for v: UInt8 in [1, 2, 3] {
            let t = try NPYFile.decode(npy(version: v, shape: "(2, 3)", payload: rawBytes([Float](arrayLiteral: 1, 2, 3, 4, 5, 6))), name: "x.npy")
            XCTAssertEqual(t.heads, 1, "2-D means one head (version \(v))")
            XCTAssertEqual(t.seq, 2); XCTAssertEqual(t.dim, 3)
            XCTAssertEqual(t.data, [1, 2, 3, 4, 5, 6])
        }
    }

    func testReadsADataSliceInPlace() throws {
        let file = npy(shape: "(1, 2)", payload: rawBytes([Float](arrayLiteral: 7, -8)))
        let sliced = (Data([1, 2, 3]) + file).dropFirst(3)
        XCTAssertEqual(sliced.startIndex, 3)
        XCTAssertEqual(try NPYFile.decode(sliced, name: "s.npy").data, [7, -8])
    }

    func testConvertsFloat16AndFloat64() throws {
        let half: [Float16] = [0.5, -2, 65504, 0.000061035156]
        let t16 = try NPYFile.decode(npy(descr: "<f2", shape: "(1, 2, 2)", payload: rawBytes(half)), name: "h.npy")
        XCTAssertEqual(t16.data, half.map(Float.init))
        let dbl: [Double] = [1.0 / 3, -1e-3, 2, 1e30]
        let t64 = try NPYFile.decode(npy(descr: "<f8", shape: "(1, 4)", payload: rawBytes(dbl)), name: "d.npy")
        XCTAssertEqual(t64.data, dbl.map(Float.init))
    }

    /// Files are read in chunks straight into the array (converted on the way for float16 and
    /// float64): chunks that split the values unevenly give what an in-memory decode gives.
    func testReadsInChunksAsDecodeDoes() throws {
        let dir = try temporaryDirectory()
        let values = (0..<103).map { Float($0) * 0.375 - 17 }
        let files: [(String, [UInt8])] = [("<f4", rawBytes(values)), ("<f2", rawBytes(values.map(Float16.init))),
                                          ("<f8", rawBytes(values.map(Double.init)))]
        for (descr, payload) in files {
            let data = npy(descr: descr, shape: "(1, 103, 1)", payload: payload)
            let path = dir + "/c.npy"
            try data.write(to: URL(fileURLWithPath: path))
            for chunkBytes in [1, 24, 100, 1 << 20] {
                XCTAssertEqual(try NPYFile.read(path: path, chunkBytes: chunkBytes), try NPYFile.decode(data, name: path), "\(descr) in \(chunkBytes)-byte chunks")
            }
        }
    }

    /// A file that ends before what its size promised (another process truncated it while
    /// it was read) is an error naming the file, not a crash.
    func testAFileThatShrinksWhileReadIsReported() throws {
        let path = try temporaryDirectory() + "/s.npy"
        try Data(count: 10).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 64)
        XCTAssertThrowsError(try buffer.withUnsafeMutableBytes {
            try TensorFileReader.readFully(fd, into: $0.baseAddress!, bytes: 64, at: 0, path: path, fileSize: 64)
        }) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .data)
            XCTAssertEqual((error as? EngineError)?.message,
                           "\(path): the file ended at byte 10 while it was read, but had 64 bytes when opened: another process changed it")
        }
        let directory = try temporaryDirectory()
        XCTAssertThrowsError(try NPYFile.read(path: directory)) { error in
            XCTAssertEqual((error as? EngineError)?.message, "\(directory): is a directory, not a file")
        }
    }

    func testRejectsWhatItCannotRead() {
        let four = rawBytes([Float](repeating: 1, count: 4))
        let cases: [(Data, String)] = [
            (npy(fortran: true, shape: "(2, 2)", payload: four), "Fortran"),
            (npy(descr: "<i4", shape: "(2, 2)", payload: four), "dtype '<i4'"),
            (npy(descr: ">f4", shape: "(2, 2)", payload: four), "dtype '>f4'"),
            (npy(shape: "(2, 2)", payload: Array(four.prefix(12))), "truncated data"),
            (npy(shape: "(4,)", payload: four), "dimensions"),
            (npy(shape: "(1, 1, 2, 2)", payload: four), "dimensions"),
            (Data("not numpy at all".utf8), "bad magic"),
            (npy(version: 9, shape: "(2, 2)", payload: four), "version 9"),
            // A header may claim any shape: no overflow trap, no allocation before the size check.
            (npy(shape: "(4294967296, 4294967296, 2)", payload: four), "too large"),
            (npy(descr: "<f8", shape: "(1, 1048576, 1099511627776)", payload: four), "too large"),
            (npy(shape: "(1024, 1048576, 1024)", payload: four), "truncated data"),
        ]
        for (data, expected) in cases {
            assertDataError(try NPYFile.decode(data, name: "bad.npy"), naming: [expected], startingWith: "bad.npy")
        }
    }

    func testWriteReadRoundTripAndPayloadAlignment() throws {
        let t = HeadTensor(heads: 3, seq: 5, dim: 7, data: (0..<105).map { Float($0) * 0.25 - 3 })
        let data = NPYFile.encode(t)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0, "payload must start 64-byte aligned")
        XCTAssertEqual(try NPYFile.decode(data, name: "t"), t)
        XCTAssertEqual(try NPYFile.decode(NPYFile.encode(HeadTensor(heads: 1, seq: 2, dim: 2, data: [1, 2, 3, 4]), squeezeSingleHead: true), name: "s").data, [1, 2, 3, 4])
    }

    func testAtomicWriteLeavesNoTemporaryFiles() throws {
        let dir = try temporaryDirectory()
        let t = HeadTensor(heads: 1, seq: 2, dim: 2, data: [1, 2, 3, 4])
        try NPYFile.write(t, to: dir + "/o.npy")
        try NPYFile.write(t, to: dir + "/o.npy")  // overwrite goes through rename too
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["o.npy"])
        XCTAssertEqual(try NPYFile.layout(path: dir + "/o.npy").rank, 3)
        try NPYFile.write(t, to: dir + "/o.npy", squeezeSingleHead: true)
        XCTAssertEqual(try NPYFile.layout(path: dir + "/o.npy").rank, 2)
        XCTAssertThrowsError(try NPYFile.write(t, to: dir + "/missing/o.npy")) { error in
            XCTAssertEqual((error as? EngineError)?.kind, .usage)
        }
    }

    func testInputsValidationNamesTheProblem() throws {
        let ok = HeadTensor(heads: 2, seq: 4, dim: 8, repeating: 0.5)
        var nan = ok
        nan.data[2 * 8 + 3] = .nan
        let cases: [(AttentionInputs, String)] = [
            (AttentionInputs(q: ok, k: HeadTensor(heads: 2, seq: 5, dim: 8), v: ok, causal: true), "sequence length"),
            (AttentionInputs(q: ok, k: HeadTensor(heads: 2, seq: 4, dim: 4), v: ok, causal: true), "head dim"),
            (AttentionInputs(q: HeadTensor(heads: 3, seq: 4, dim: 8), k: ok, v: ok, causal: true), "multiple"),
            (AttentionInputs(q: ok, k: ok, v: HeadTensor(heads: 1, seq: 4, dim: 8), causal: true), "v has 1"),
            (AttentionInputs(q: nan, k: ok, v: ok, causal: true), "q has a non-finite value at [head 0, row 2, col 3]"),
        ]
        for (inputs, expected) in cases {
            XCTAssertThrowsError(try inputs.validate(source: "dir")) { error in
                XCTAssertTrue((error as? EngineError)?.message.contains(expected) ?? false, "\(error) should mention \(expected)")
            }
        }
    }
}
