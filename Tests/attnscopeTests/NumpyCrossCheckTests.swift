import Foundation
import TestSupport
import XCTest

/// NumPy writes the inputs, attnscope runs `flash` on them, and NumPy's own float64
/// attention checks the saved output and the rmse attnscope reported, on the same rows.
/// Needs python3 with NumPy (README: Debian `python3-numpy`; .ci/run installs it).
final class NumpyCrossCheckTests: XCTestCase {
    func python(_ script: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script] + args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            XCTFail("python3 failed (this test needs python3 with NumPy: apt-get install python3-numpy):\n\(problem)")
            throw CocoaError(.executableLoad)
        }
        return String(decoding: data, as: UTF8.self)
    }

    static let writeInputs = """
        import sys, numpy as np
        d = sys.argv[1]; r = np.random.default_rng(5)
        np.save(d + '/q.npy', r.standard_normal((4, 300, 48)).astype(np.float32))
        np.save(d + '/k.npy', r.standard_normal((2, 300, 48)).astype(np.float16))   # converted on read
        np.save(d + '/v.npy', r.standard_normal((2, 300, 48)).astype(np.float64))   # converted on read
        """

    /// float64 attention with GQA and the causal mask, then the error on the rows attnscope
    /// checked (k rows evenly spaced including first and last, rounded half up), and whether
    /// the output has the inputs' layout ([N, D] inputs are one head).
    static let check = """
        import sys, json, math, numpy as np
        d, out, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
        q = np.load(d + '/q.npy').astype(np.float64)
        kk = np.load(d + '/k.npy').astype(np.float32).astype(np.float64)
        v = np.load(d + '/v.npy').astype(np.float32).astype(np.float64)
        o = np.load(out).astype(np.float64)
        shape_ok = o.shape == q.shape
        if q.ndim == 2: q, kk, v = q[None], kk[None], v[None]
        o = o.reshape(q.shape)
        H, N, D = q.shape; g = H // kk.shape[0]
        ref = np.empty_like(q)
        for h in range(H):
            s = q[h] @ kk[h // g].T / math.sqrt(D)
            s[np.triu_indices(N, 1)] = -np.inf
            p = np.exp(s - s.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
            ref[h] = p @ v[h // g]
        rows = sorted({int(math.floor(j * (N - 1) / (k - 1) + 0.5)) for j in range(k)})
        e = o[:, rows] - ref[:, rows]
        print(json.dumps({"shape_ok": shape_ok, "rel_l2_all": float(np.linalg.norm(o - ref) / np.linalg.norm(ref)),
                          "rmse_rows": float(np.sqrt(np.mean(e ** 2))), "rows": len(rows)}))
        """

    /// The exact attention map (`--save-maps` attention.npy) from NumPy: per head, grid row r
    /// holds the mean over the checked rows in r of each key cell's softmax mass (NaN when r
    /// has no checked row); cell c spans positions ⌈c·N/G⌉ ..< ⌈(c+1)·N/G⌉, G = min(256, N).
    static let checkMap = """
        import sys, json, math, numpy as np
        d, path, k = sys.argv[1], sys.argv[2], int(sys.argv[3])
        q = np.load(d + '/q.npy').astype(np.float64)
        kk = np.load(d + '/k.npy').astype(np.float32).astype(np.float64)
        H, N, D = q.shape; g = H // kk.shape[0]; G = min(256, N)
        edges = [-(-c * N // G) for c in range(G + 1)]
        cell = np.searchsorted(edges, np.arange(N), side='right') - 1
        rows = sorted({int(math.floor(j * (N - 1) / (k - 1) + 0.5)) for j in range(k)})
        want = np.full((H, G, G), np.nan)
        for h in range(H):
            s = q[h, rows] @ kk[h // g].T / math.sqrt(D)
            s[np.arange(N)[None, :] > np.array(rows)[:, None]] = -np.inf
            p = np.exp(s - s.max(axis=1, keepdims=True)); p /= p.sum(axis=1, keepdims=True)
            mass = np.stack([p[:, cell == c].sum(axis=1) for c in range(G)], axis=1)
            for r in set(cell[rows]):
                want[h, r] = mass[cell[rows] == r].mean(axis=0)
        got = np.load(path).astype(np.float64)
        print(json.dumps({"shape_ok": got.shape == want.shape,
                          "nan_ok": bool((np.isnan(got) == np.isnan(want)).all()),
                          "checked_grid_rows": int((~np.isnan(want[:, :, 0])).sum()),
                          "max_abs": float(np.nanmax(np.abs(got - want)))}))
        """

    func testFlashOutputMatchesNumpyFloat64AndReportedRmse() throws {
        let dir = try temporaryDirectory()
        _ = try python(Self.writeInputs, [dir])
        let r = try Attnscope.run(["run", "--inputs", dir, "--method", "flash:tile_q=32,tile_k=48,label=flash-small-tiles", "--reference-rows", "37",
                                   "--repeat", "1", "--warmup", "0", "--save-outputs", dir + "/out", "--save-maps", dir + "/maps",
                                   "--json", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let row = (json["rows"] as! [[String: Any]])[0]
        XCTAssertEqual(row["seq"] as? Int, 300)
        XCTAssertEqual(row["kv_heads"] as? Int, 2)
        let numpy = try JSONSerialization.jsonObject(with: Data(
            try python(Self.check, [dir, dir + "/out/flash-small-tiles.npy", "37"]).utf8)) as! [String: Double]
        XCTAssertEqual(numpy["shape_ok"], 1)
        XCTAssertLessThanOrEqual(numpy["rel_l2_all"]!, 1e-5)
        XCTAssertEqual(row["reference_rows"] as? Int, Int(numpy["rows"]!))
        let reported = row["rmse"] as! Double
        XCTAssertEqual(reported, numpy["rmse_rows"]!, accuracy: 1e-3 * numpy["rmse_rows"]!,
                       "attnscope's rmse must be the one NumPy computes from the saved output on the same rows")
        let map = try JSONSerialization.jsonObject(with: Data(
            try python(Self.checkMap, [dir, dir + "/maps/attention.npy", "37"]).utf8)) as! [String: Any]
        XCTAssertEqual(map["shape_ok"] as? Bool, true, "\(map)")
        XCTAssertEqual(map["nan_ok"] as? Bool, true, "NaN exactly in the grid rows with no checked row: \(map)")
        XCTAssertEqual(map["checked_grid_rows"] as? Int, 4 * 37)
        XCTAssertLessThanOrEqual(map["max_abs"] as! Double, 1e-6, "\(map)")
    }

    /// One head given as [N, D] files comes back as an [N, D] output, as README promises
    /// ("outputs use the same layout"), and with the same values.
    /// A .safetensors file as Hugging Face's format defines it, written by NumPy and the
    /// standard library alone: q in F32, k in F16, v in BF16 (float32 with the low 16 bits
    /// cut), stored v, q, k with metadata; the same values also as float32 .npy files, from
    /// which NumPy checks the output.
    func testSafetensorsInputsRunAsTheirValuesDo() throws {
        let dir = try temporaryDirectory()
        _ = try python("""
            import sys, json, struct, numpy as np
            d = sys.argv[1]; r = np.random.default_rng(7)
            q = r.standard_normal((4, 300, 48)).astype(np.float32)
            k = r.standard_normal((2, 300, 48)).astype(np.float16)
            v = r.standard_normal((2, 300, 48)).astype(np.float32)
            v16 = (v.view(np.uint32) >> 16).astype(np.uint16)
            header, blobs, at = {"__metadata__": {"format": "pt"}}, [], 0
            for name, dtype, a in [("v", "BF16", v16), ("q", "F32", q), ("k", "F16", k)]:
                b = a.astype(a.dtype.newbyteorder('<')).tobytes()
                header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [at, at + len(b)]}
                blobs.append(b); at += len(b)
            text = json.dumps(header).encode()
            text += b' ' * (-len(text) % 8)
            open(d + '/qkv.safetensors', 'wb').write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
            np.save(d + '/q.npy', q); np.save(d + '/k.npy', k.astype(np.float32))
            np.save(d + '/v.npy', (v16.astype(np.uint32) << 16).view(np.float32))
            """, [dir])
        let r = try Attnscope.run(["run", "--inputs", dir + "/qkv.safetensors", "--method", "flash", "--repeat", "1", "--warmup", "0",
                                   "--reference-rows", "7", "--save-outputs", dir + "/out", "--json", "-"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let row = try XCTUnwrap((JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]]).first
        XCTAssertEqual(row?["heads"] as? Int, 4)
        XCTAssertEqual(row?["kv_heads"] as? Int, 2)
        let numpy = try JSONSerialization.jsonObject(with: Data(
            try python(Self.check, [dir, dir + "/out/flash.npy", "7"]).utf8)) as! [String: Double]
        XCTAssertEqual(numpy["shape_ok"], 1)
        XCTAssertLessThanOrEqual(numpy["rel_l2_all"]!, 1e-5, "flash on the file's values, against NumPy's float64 attention on them")
        XCTAssertEqual(try XCTUnwrap(row?["rmse"] as? Double), numpy["rmse_rows"]!, accuracy: 1e-7)
    }

    func testMatrixInputsGiveMatrixOutputs() throws {
        let dir = try temporaryDirectory()
        _ = try python("""
            import sys, numpy as np
            d = sys.argv[1]; r = np.random.default_rng(6)
            for name in 'qkv': np.save(d + '/' + name + '.npy', r.standard_normal((70, 16)).astype(np.float32))
            """, [dir])
        let r = try Attnscope.run(["run", "--inputs", dir, "--method", "flash", "--repeat", "1", "--warmup", "0",
                                   "--save-outputs", dir + "/out"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let numpy = try JSONSerialization.jsonObject(with: Data(
            try python(Self.check, [dir, dir + "/out/flash.npy", "70"]).utf8)) as! [String: Double]
        XCTAssertEqual(numpy["shape_ok"], 1, "the output of [70, 16] inputs must be [70, 16]")
        XCTAssertLessThanOrEqual(numpy["rel_l2_all"]!, 1e-5)
    }
}
