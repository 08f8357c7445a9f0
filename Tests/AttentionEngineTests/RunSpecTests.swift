@testable import AttentionEngine
import Foundation
import TestSupport
import XCTest

final class RunSpecTests: XCTestCase {
    func testMethodSpecParsing() throws {
        let m = try MethodSpec(parsing: "flash:tile_q=32,tile_k=64,label=small")
        XCTAssertEqual(m.method, "flash")
        XCTAssertEqual(m.label, "small")
        XCTAssertEqual(m.params, ["tile_q": "32", "tile_k": "64"])
        XCTAssertEqual(try MethodSpec(parsing: "flash:tile_q=32").label, "flash-32")
        XCTAssertEqual(try MethodSpec(parsing: m.commandLineForm), m, "the command-line form parses back to the same spec")
        for bad in ["", ":a=1", "flash:tile_q", "flash:tile_q=1,tile_q=2", "flash:=3"] {
            XCTAssertThrowsError(try MethodSpec(parsing: bad), bad) { XCTAssertEqual(($0 as? EngineError)?.kind, .usage) }
        }
    }

    /// A value with commas (a shell command, a label) is written in double quotes; the
    /// command-line form quotes what needs it, so every spec parses back to itself.
    /// A number key whose default is shown as a word (`auto`, `N`) takes that word back and
    /// means the same as leaving the key out; anything else is still refused.
    func testNumberKeysAcceptTheWordTheirDefaultIsShownAs() throws {
        func make<M>(_ text: String, as _: M.Type) throws -> M { try XCTUnwrap(MethodRegistry.make(MethodSpec(parsing: text)) as? M) }
        for (method, key) in [("flash", "tile_q"), ("flash", "tile_k"), ("minference", "top_k"), ("longrope", "target")] {
            let shown = try XCTUnwrap(MethodRegistry.descriptor(named: method).keys.first { $0.name == key }?.defaultValue)
            XCTAssertTrue(["auto", "N"].contains(shown), "\(method) \(key) shows its default as \(shown)")
        }
        let flash = try make("flash:tile_q=auto,tile_k=auto", as: FlashAttention.self)
        XCTAssertEqual(flash.tiles(headDim: 64).q, FlashAttention().tiles(headDim: 64).q)
        XCTAssertNil(flash.tileQ); XCTAssertNil(flash.tileK)
        XCTAssertNil(try make("minference:pattern=block-sparse,top_k=auto", as: MInferenceAttention.self).parameters.topK)
        XCTAssertNil(try make("longrope:scaling=pi,original=128,target=N", as: LongRoPEAttention.self).request.target)
        XCTAssertThrowsError(try MethodRegistry.make(MethodSpec(parsing: "flash:tile_q=automatic"))) {
            XCTAssertTrue("\($0)".contains("key 'tile_q=automatic' must be auto or a whole number in 4…1024"), "\($0)")
        }
    }

    func testQuotedValuesHoldCommasAndTheCommandLineFormRoundTrips() throws {
        let m = try MethodSpec(parsing: #"longrope:search=on, objective = "command:python3 eval.py --dims 1,2 --tag ""x""" ,label="a, b""#)
        XCTAssertEqual(m.params, ["search": "on", "objective": #"command:python3 eval.py --dims 1,2 --tag "x""#])
        XCTAssertEqual(m.label, "a, b")
        XCTAssertEqual(try MethodSpec(parsing: #"x:cmd=echo "hi",k=2"#).params, ["cmd": #"echo "hi""#, "k": "2"], "quotes inside a value are literal")
        XCTAssertEqual(try MethodSpec(parsing: "flash:tile_q=32,,tile_k=64,").params, ["tile_q": "32", "tile_k": "64"])
        let odd = [m, MethodSpec(method: "x", label: " edge ", params: ["a": "", "b": "1,2", "c": #""q""#, "d": " s"]),
                   MethodSpec(method: "x", params: ["v": "1,2"])]
        for spec in odd { XCTAssertEqual(try MethodSpec(parsing: spec.commandLineForm), spec, spec.commandLineForm) }
        XCTAssertEqual(odd[2].commandLineForm, #"x:v="1,2""#)
        for (bad, mention) in [(#"x:a="1,2"#, "no closing quote"), (#"x:a="1"2,b=3"#, "'2' follows"), ("x:a=", "'a=' is not key=value"),
                               ("x:a=1,b", "'b' is not key=value")] {
            XCTAssertThrowsError(try MethodSpec(parsing: bad), bad) { error in
                XCTAssertEqual((error as? EngineError)?.kind, .usage, bad)
                XCTAssertTrue((error as? EngineError)?.message.contains(mention) ?? false, "\(bad): \(error)")
            }
        }
    }

    func testPresetDecodingKeepsDefaultsAndAcceptsScalarParams() throws {
        let json = #"{"seq": 100, "methods": [{"method": "flash", "params": {"tile_q": 32}}], "reference_rows": "all"}"#
        let s = try PresetFile.decode(Data(json.utf8), name: "p")
        XCTAssertEqual(s.seq, 100)
        XCTAssertEqual(s.headDim, RunSpec().headDim)
        XCTAssertEqual(s.methods[0].params["tile_q"], "32")
        XCTAssertEqual(s.referenceRows, .all)
        XCTAssertEqual(try PresetFile.decode(PresetFile.encode(s), name: "round trip"), s)
    }

    /// With inputs from files a preset says nothing about the shape or workload (the files
    /// decide them); without, it writes every field.
    func testAPresetWithInputsLeavesOutTheShape() throws {
        var s = RunSpec()
        s.seq = 777; s.heads = 3; s.kvHeads = 3; s.headDim = 5; s.workload = .llm
        let generated = try XCTUnwrap(JSONSerialization.jsonObject(with: PresetFile.encode(s)) as? [String: Any])
        XCTAssertEqual(Set(generated.keys), Set(RunSpec.CodingKeys.allCases.map(\.rawValue)).subtracting(["name", "inputs", "rope"]))
        XCTAssertEqual(generated["seq"] as? Int, 777)
        s.inputs = "/data/layer2"
        let files = try XCTUnwrap(JSONSerialization.jsonObject(with: PresetFile.encode(s)) as? [String: Any])
        XCTAssertEqual(Set(generated.keys).subtracting(files.keys), ["seq", "heads", "kv_heads", "head_dim", "workload"])
        XCTAssertEqual(files["inputs"] as? String, "/data/layer2")
        let back = try PresetFile.decode(PresetFile.encode(s), name: "p")
        XCTAssertEqual(back.inputs, s.inputs)
        XCTAssertEqual(back.methods, s.methods)
        XCTAssertEqual(back.seq, RunSpec().seq)
    }

    /// A misspelt field, a fractional or negative count and a bad reference_rows each name
    /// the field (Foundation alone says "not valid JSON" at the top level, or ignores typos).
    func testPresetMistakesNameTheirField() {
        let cases = [(#"{"head_dims": 64}"#, "field 'head_dims': not a known field (known: name, seq"),
                     (#"{"methods": [{"method": "flash", "lable": "x"}]}"#, "field 'methods[0].lable': not a known field (known: method, label, params)"),
                     (#"{"seq": 64.5}"#, "field 'seq': 64.5 is not a whole number"),
                     (#"{"seed": -1}"#, "field 'seed': -1.0 does not fit in 0…"),
                     (#"{"reference_rows": 3.5}"#, "field 'reference_rows': expected a whole number of at least 1"),
                     (#"{"reference_rows": 0}"#, "field 'reference_rows': expected a whole number of at least 1"),
                     (#"{"workload": "foo"}"#, #"field 'workload': "foo" is not one of random, outliers, llm, needle"#),
                     (#"{"rope_style": "gptj"}"#, #"field 'rope_style': "gptj" is not one of half, interleaved"#),
                     (#"{"inputs": "qkv", "seq": 9}"#, "field 'seq': cannot be given with 'inputs': the files give the shape"),
                     (#"{"inputs": "qkv", "workload": "llm"}"#, "field 'workload': cannot be given with 'inputs'")]
        for (json, mention) in cases {
            XCTAssertThrowsError(try PresetFile.decode(Data(json.utf8), name: "p"), json) { error in
                XCTAssertEqual((error as? EngineError)?.kind, .data, json)
                XCTAssertTrue("\(error)".contains(mention), "\(json): \(error)")
            }
        }
    }

    /// As on the command line, a preset's G follows its H unless it gives kv_heads.
    func testAPresetsKVHeadsFollowItsHeads() throws {
        let mha = try PresetFile.decode(Data(#"{"heads": 6}"#.utf8), name: "p")
        XCTAssertEqual([mha.heads, mha.kvHeads], [6, 6])
        XCTAssertNoThrow(try mha.validate())
        let gqa = try PresetFile.decode(Data(#"{"heads": 6, "kv_heads": 2}"#.utf8), name: "p")
        XCTAssertEqual([gqa.heads, gqa.kvHeads], [6, 2])
        XCTAssertEqual(try PresetFile.decode(Data("{}".utf8), name: "p").kvHeads, RunSpec().kvHeads)
    }

    /// Every preset in presets/ decodes and validates (which builds each variant), so the
    /// dashboard's start-up preset (`quickstart`, skipped silently when broken) and the
    /// README's commands keep working; `infini-stream` streams.
    func testEveryShippedPresetIsAValidRunSpec() throws {
        let shipped = PresetLibrary(shippedDirectory: projectFile("presets"), environment: ["XDG_CONFIG_HOME": "/nonexistent"]).all()
        XCTAssertTrue(shipped.contains { $0.name == "quickstart" })
        XCTAssertGreaterThanOrEqual(shipped.count, 6)
        for entry in shipped {
            XCTAssertNoThrow(try PresetFile.loadRunnable(entry.path), entry.name)
            // The files it names are found from any working directory.
            for m in try PresetFile.load(entry.path).methods {
                for key in try MethodRegistry.descriptor(named: m.method).keys where key.isFile {
                    guard let path = m.params[key.name] else { continue }
                    XCTAssertTrue(path.hasPrefix("/") && FileManager.default.fileExists(atPath: path), "\(entry.name): \(path)")
                }
            }
        }
        XCTAssertTrue(try ComparisonRunner.streams(PresetFile.load(projectFile("presets/infini-stream.json"))))
    }

    /// A preset's files are relative to the preset's directory; a saved preset's files are
    /// absolute (typed relative to the working directory), so both read back from anywhere.
    func testPresetPathsAreRelativeToThePresetAndSavedAbsolute() throws {
        let dir = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: dir + "/sub", withIntermediateDirectories: true)
        let json = #"""
            {"inputs": "qkv", "methods": [
              {"method": "longrope", "params": {"factors": "../f.json", "config": "/abs/c.json", "original": "4096"}},
              {"method": "minference", "params": {"config": "patterns.json"}}]}
            """#
        try json.write(toFile: dir + "/sub/p.json", atomically: true, encoding: .utf8)
        let spec = try PresetFile.load(dir + "/sub/p.json")
        XCTAssertEqual(spec.inputs, dir + "/sub/qkv")
        XCTAssertEqual(spec.methods[0].params, ["factors": dir + "/f.json", "config": "/abs/c.json", "original": "4096"])
        XCTAssertEqual(spec.methods[1].params, ["config": dir + "/sub/patterns.json"])

        var typed = RunSpec()
        typed.methods = [MethodSpec(method: "longrope", label: "lr", params: ["factors": "mine.json", "scaling": "longrope"])]
        try PresetFile.save(typed, to: dir + "/saved.json")
        let saved = try XCTUnwrap(FileManager.default.contents(atPath: dir + "/saved.json"))
        let cwd = FileManager.default.currentDirectoryPath
        XCTAssertTrue(String(decoding: saved, as: UTF8.self).contains("\"factors\" : \"\(cwd)/mine.json\""))
        XCTAssertEqual(try PresetFile.load(dir + "/saved.json").methods[0].params["factors"], cwd + "/mine.json")
    }

    func testValidationNamesTheFlag() {
        var s = RunSpec()
        s.heads = 6; s.kvHeads = 4
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--kv-heads")) }
        s = RunSpec(); s.seq = 0
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--seq")) }
        s = RunSpec(); s.methods = []
        XCTAssertThrowsError(try s.validate()) { XCTAssertTrue("\($0)".contains("--method")) }
        for label in ["", "a\tb", "two\nlines"] {
            s = RunSpec(); s.methods = [MethodSpec(method: "flash", label: label)]
            XCTAssertThrowsError(try s.validate(), label.debugDescription) { XCTAssertTrue("\($0)".contains("label \(label.debugDescription)"), "\($0)") }
        }
    }

    /// README: "With `--reference-rows auto` (default) it checks every row up to N = 4096 and
    /// 256 rows beyond; … Sampled rows are evenly spaced from the first to the last row (both
    /// always included)". The numbers are the README's, not the code's constants.
    func testAutomaticReferenceRowsAreEveryRowUpTo4096And256EvenlySpacedBeyond() {
        for n in [1, 2, 10, 4095, 4096] {
            let rows = ReferenceRows.automatic.rows(seq: n)
            XCTAssertTrue(rows == Array(0..<n), "N = \(n): every row, got \(rows.count) rows")
        }
        for n in [4097, 5000, 100_000] {
            let rows = ReferenceRows.automatic.rows(seq: n)
            XCTAssertEqual(rows.count, 256, "N = \(n)")
            XCTAssertEqual(rows.first, 0, "N = \(n)")
            XCTAssertEqual(rows.last, n - 1, "N = \(n)")
            // Evenly spaced: 255 steps, each the mean step (N − 1)/255 rounded down or up.
            let steps = zip(rows, rows.dropFirst()).map { $1 - $0 }
            let mean = Double(n - 1) / 255
            for s in steps { XCTAssertTrue(s == Int(mean.rounded(.down)) || s == Int(mean.rounded(.up)), "N = \(n): step \(s) vs \(mean)") }
        }
    }

    func testReferenceRowsAlwaysIncludeFirstAndLast() throws {
        XCTAssertEqual(ReferenceRows.count(1).rows(seq: 50), [0, 49])
        XCTAssertEqual(ReferenceRows.count(5).rows(seq: 9), [0, 2, 4, 6, 8])
        XCTAssertEqual(ReferenceRows.all.rows(seq: 3), [0, 1, 2])
        XCTAssertThrowsError(try ReferenceRows(parsing: "0"))
    }
}

final class SeededGeneratorTests: XCTestCase {
    func testStreamsAreDeterministicAndIndependent() {
        var a = SeededGenerator(seed: 42, stream: 1, 2, 3), b = SeededGenerator(seed: 42, stream: 1, 2, 3)
        var c = SeededGenerator(seed: 42, stream: 1, 2, 4)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        XCTAssertEqual(xa, xb)
        XCTAssertNotEqual(xa, xc)
    }

    /// Pins the generator to values from an independent Python implementation of SplitMix64
    /// seeding + xoshiro256**, so a refactor cannot silently change every preset's numbers.
    func testMatchesIndependentXoshiro256StarStar() {
        var g = SeededGenerator(seed: 1)
        XCTAssertEqual((0..<3).map { _ in g.next() }, [0xb3f2af6d0fc710c5, 0x853b559647364cea, 0x92f89756082a4514])
    }

    func testNormalMoments() {
        var g = SeededGenerator(seed: 9)
        let n = 200_000
        var sum = 0.0, sq = 0.0
        for _ in 0..<n { let x = g.normal(); sum += x; sq += x * x }
        XCTAssertEqual(sum / Double(n), 0, accuracy: 0.01)
        XCTAssertEqual(sq / Double(n), 1, accuracy: 0.01)
    }
}
