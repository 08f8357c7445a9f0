import Foundation
import TestSupport
import XCTest

/// `attnscope rope show`, `rope search` and the `longrope` method end to end through the binary.
final class RopeCommandTests: XCTestCase {
    let phi35 = projectFile("presets/data/phi35_longrope_factors.json")

    func testShowYaRNPrintsTheRequiredJSONFields() throws {
        let r = try Attnscope.run(["rope", "show", "--scaling", "yarn", "--head-dim", "128", "--base", "10000", "--original", "4096",
                               "--target", "32768", "--seq", "32768", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try r.json()
        for key in ["inv_freq", "factors", "attention_factor", "ood_dims", "head_dim", "base", "seq"] { XCTAssertNotNil(o[key], key) }
        XCTAssertEqual((o["inv_freq"] as? [Double])?.count, 64)
        XCTAssertEqual(o["head_dim"] as? Int, 128)
        XCTAssertEqual(o["seq"] as? Int, 32768)
        XCTAssertEqual(o["ood_dims"] as? Int, 0)
        XCTAssertEqual(o["attention_factor"] as! Double, 0.1 * log(8.0) + 1, accuracy: 1e-12)
        XCTAssertEqual(o["yarn_ramp"] as? [Double], [20, 46])
        let table = try Attnscope.run(["rope", "show", "--scaling", "ntk", "--head-dim", "128", "--original", "4096", "--seq", "32768"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("OOD"), "NTK leaves pairs out of distribution:\n\(table.stdout)")
    }

    func testShowPhi35ConfigAt128K() throws {
        let factors = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: phi35))) as! [String: Any]
        let config: [String: Any] = [
            "hidden_size": 3072, "num_attention_heads": 32, "rope_theta": 10000.0, "original_max_position_embeddings": 4096,
            "max_position_embeddings": 131072,
            "rope_scaling": ["type": "longrope", "long_factor": factors["long_factor"]!, "short_factor": factors["short_factor"]!],
        ]
        let path = try temporaryFile("config.json", String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self))
        let r = try Attnscope.run(["rope", "show", "--config", path, "--seq", "131072", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try r.json()
        XCTAssertEqual(o["attention_factor"] as! Double, 1.1902380714, accuracy: 1e-10)
        XCTAssertEqual(o["head_dim"] as? Int, 96)
        XCTAssertEqual(o["factor_set"] as? String, "long")
        XCTAssertEqual(o["ood_dims"] as? Int, 0)
        XCTAssertEqual((o["factors"] as! [Double]).last!, 64.83999633789062, accuracy: 1e-9)
    }

    func testAFactorFileStatesTheHeadDim() throws {
        // Phi-3.5's 48 factors per set mean d = 96; no --head-dim needed.
        let r = try Attnscope.run(["rope", "show", "--factors", phi35, "--seq", "131072", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(o["head_dim"] as? Int, 96)
        // Beyond the original 4096 tokens each pair runs at θ_i = 10000^(−2i/96) / long_factor[i].
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: phi35))) as! [String: Any]
        let long = file["long_factor"] as! [Double], invFreq = o["inv_freq"] as! [Double]
        XCTAssertEqual(invFreq.count, 48)
        for (i, f) in long.enumerated() {
            XCTAssertEqual(invFreq[i], pow(10000, -2 * Double(i) / 96) / f, accuracy: 1e-12 * invFreq[0], "pair \(i)")
        }
        let stated = try Attnscope.run(["rope", "show", "--factors", phi35, "--head-dim", "128", "--seq", "131072"])
        XCTAssertEqual(stated.status, 65, "an explicit --head-dim still wins and is checked")
        XCTAssertTrue(stated.stderr.contains("head dim 128 needs 64"), stated.stderr)
        // d comes from the long list; a short list of another length is not blamed alone.
        let uneven = try temporaryFile("uneven.json", #"{"long_factor": [1, 2, 3], "short_factor": [1, 1, 1, 1]}"#)
        let r2 = try Attnscope.run(["rope", "show", "--factors", uneven])
        XCTAssertEqual(r2.status, 65)
        XCTAssertTrue(r2.stderr.contains("fields 'long_factor' (3 entries) and 'short_factor' (4 entries) differ in length"), r2.stderr)
    }

    /// --head-dim stops at 1024, so a file that would set d to more is refused, not shown
    /// (2,000,001 factors took rope show over ten minutes and reported head_dim 4000002).
    func testAFactorFileImpliesAtMostTheLargestHeadDim() throws {
        func file(_ count: Int) throws -> String { try temporaryFile("f.json", "[" + Array(repeating: "1", count: count).joined(separator: ",") + "]") }
        let tooLong = try file(513)
        let r = try Attnscope.run(["rope", "show", "--factors", tooLong, "--json"])
        XCTAssertEqual(r.status, 65, r.stdout.prefix(200) + "")
        XCTAssertTrue(r.stderr.contains("factors \(tooLong): field '(top level)' has 513 entries, which implies head dim 1026 > 1024"), r.stderr)
        let object = try temporaryFile("g.json", #"{"long_factor": [1, 1], "short_factor": ["# + Array(repeating: "1", count: 600).joined(separator: ",") + "]}")
        let short = try Attnscope.run(["run", "--seq", "64", "--heads", "1", "--head-dim", "4", "--method", "longrope:factors=\(object)"])
        XCTAssertEqual(short.status, 65)
        XCTAssertTrue(short.stderr.contains("field 'short_factor' has 600 entries, which implies head dim 1200 > 1024"), short.stderr)
        let largest = try Attnscope.run(["rope", "show", "--factors", try file(512), "--seq", "100"])
        XCTAssertEqual(largest.status, 0, largest.stderr)
        XCTAssertTrue(largest.stdout.contains("head_dim 1024") && largest.stdout.contains("\n 511  "), largest.stdout.suffix(300) + "")
    }

    /// A factor large enough to make a period infinite (but its frequency, 1e-308, still
    /// above 0) is valid input: JSON gets null there (JSON has no infinity), not an internal error.
    func testAnInfinitePeriodIsNullInJSON() throws {
        let path = try temporaryDirectory() + "/huge.json"
        let long = (0..<4).map { $0 == 1 ? "1e307" : "1.0" }.joined(separator: ",")
        try #"{"long_factor": [\#(long)], "short_factor": [1, 1, 1, 1], "original_max_position_embeddings": 64}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        let r = try Attnscope.run(["rope", "show", "--factors", path, "--seq", "128", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let periods = try XCTUnwrap(o["periods"] as? [Any])
        XCTAssertTrue(periods[1] is NSNull, "\(periods)")
        XCTAssertEqual(try XCTUnwrap(periods[0] as? Double), 2 * Double.pi, accuracy: 1e-9)
    }

    /// Factors that pass one by one can still overflow a frequency: 1e-320 makes 1/λ
    /// infinite (every output NaN), 1e308 × 10^(2/8) makes it 0. Refused, naming the file and
    /// the factor, before anything runs, at every length they apply to.
    func testFactorsThatOverflowAFrequencyExit65() throws {
        let dir = try temporaryDirectory()
        let tiny = dir + "/tiny.json", zero = dir + "/zero.json"
        try "[1e-320, 1e-320, 1e-320, 1e-320]".write(toFile: tiny, atomically: true, encoding: .utf8)
        try #"{"long_factor": [1, 1e308, 1e308, 1e308], "original_max_position_embeddings": 32}"#
            .write(toFile: zero, atomically: true, encoding: .utf8)
        for (path, field, value) in [(tiny, "'(top level)[0]' = 1e-320", "inf"), (zero, "'long_factor[1]' = 1e+308", "0.0")] {
            let show = try Attnscope.run(["rope", "show", "--factors", path, "--seq", "64"])
            XCTAssertEqual(show.status, 65, show.stdout)
            XCTAssertTrue(show.stderr.contains("factors \(path): field \(field) makes pair") && show.stderr.contains("inverse frequency \(value)"),
                          show.stderr)
            let run = try Attnscope.run(["run", "--seq", "64", "--heads", "1", "--head-dim", "8", "--method", "longrope:factors=\(path)"])
            XCTAssertEqual(run.status, 65, run.stdout)
            XCTAssertTrue(run.stderr.contains(field) && run.stdout.isEmpty, "refused before the run: \(run.stderr)")
        }
    }

    func testBadFactorFilesExit65NamingTheField() throws {
        let cases: [(String, String)] = [
            (#"{"long_factor": [1, 2, 3]}"#, "'long_factor' has 3 entries"),
            (#"{"long_factor": [1, 2, "x", 4]}"#, "long_factor[2]"),
            ("[1, 2, -3, 4]", "= -3.0 must be positive"),
        ]
        for (text, field) in cases {
            let path = try temporaryFile("f.json", text)
            let show = try Attnscope.run(["rope", "show", "--factors", path, "--head-dim", "8", "--seq", "8192"])
            XCTAssertEqual(show.status, 65, text)
            XCTAssertTrue(show.stderr.contains(field) && show.stderr.contains(path), show.stderr)
            let run = try Attnscope.run(["run", "--seq", "64", "--heads", "1", "--head-dim", "8", "--method", "longrope:factors=\(path)"])
            XCTAssertEqual(run.status, 65, text)
            XCTAssertTrue(run.stderr.contains(field), run.stderr)
        }
        let decreasing = try temporaryFile("f.json", "[1, 3, 2, 4]")
        let r = try Attnscope.run(["rope", "show", "--factors", decreasing, "--head-dim", "8", "--seq", "8192"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("warning") && r.stderr.contains("decreases at index 2"), r.stderr)
        let run = try Attnscope.run(["run", "--seq", "64", "--heads", "1", "--head-dim", "8", "--rope", "standard", "--csv", "-",
                                 "--method", "longrope:factors=\(decreasing),original=32"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("decreases at index 2"), "warning column:\n\(run.stdout)")
    }

    func testUnknownRopeScalingTypeExits65() throws {
        let path = try temporaryFile("config.json", #"{"head_dim": 64, "max_position_embeddings": 8192, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}}"#)
        let r = try Attnscope.run(["rope", "show", "--config", path])
        XCTAssertEqual(r.status, 65)
        XCTAssertTrue(r.stderr.contains("rope_scaling.rope_type") && r.stderr.contains("llama3"), r.stderr)
        let run = try Attnscope.run(["run", "--seq", "64", "--heads", "1", "--head-dim", "64", "--method", "longrope:config=\(path)"])
        XCTAssertEqual(run.status, 65, run.stderr)
    }

    func testSearchWritesFactorsThatRunReads() throws {
        let dir = try temporaryDirectory()
        let ones = try temporaryFile("ones.json", "[" + Array(repeating: "1", count: 16).joined(separator: ",") + "]")
        let r = try Attnscope.run(["rope", "search", "--head-dim", "32", "--heads", "2", "--seq", "1024", "--original", "256",
                               "--target", "4096", "--population", "12", "--generations", "4", "--mutations", "6",
                               "--crossovers", "6", "--parents", "6", "--compare", ones, "--output", dir + "/best.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("generation 4: best"), r.stderr)
        XCTAssertTrue(r.stdout.contains("seed yarn"), r.stdout)
        let out = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/best.json"))) as! [String: Any]
        XCTAssertEqual((out["long_factor"] as? [Double])?.count, 16)
        XCTAssertEqual((out["curve"] as? [Any])?.count, 5)
        XCTAssertEqual(out["ood_dims"] as? Int, 0)
        let compared = out["compared"] as? [String: Double]
        XCTAssertGreaterThan(compared?["ones"] ?? 0, out["score"] as! Double, "standard RoPE at 16× its length scores worse")
        XCTAssertTrue(r.stdout.contains("ones") && r.stdout.contains("ood_dims 8"), r.stdout)
        let run = try Attnscope.run(["run", "--seq", "600", "--heads", "2", "--head-dim", "32", "--rope", "standard", "--csv", "-",
                                 "--method", "longrope:factors=\(dir)/best.json,original=256,target=4096"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("local_fidelity"), run.stdout)
    }

    /// Extending a plain model is the search's main use: a config without rope scaling gives
    /// rope_theta, the head dim and L; L' is --target, else the config's extended length,
    /// else --seq (the run's N). --original contradicts the config's L.
    func testSearchExtendsAConfigWithoutRopeScaling() throws {
        let plain = try temporaryFile("plain.json", #"{"head_dim": 8, "rope_theta": 500000.0, "max_position_embeddings": 256}"#)
        let yarn = try temporaryFile("yarn.json", #"{"head_dim": 8, "max_position_embeddings": 256, "rope_scaling": {"type": "yarn", "factor": 4.0, "attention_factor": 1.5}}"#)
        let quick = ["rope", "search", "--seq", "300", "--heads", "1", "--head-dim", "8", "--population", "4", "--generations", "1",
                     "--mutations", "2", "--crossovers", "2", "--parents", "2", "--json"]
        for (config, extra, target, theta) in [(plain, ["--target", "1024"], 1024, 500_000.0), (plain, [], 300, 500_000), (yarn, [], 1024, 10_000)] {
            let r = try Attnscope.run(quick + ["--config", config] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let o = try r.json()
            XCTAssertEqual(o["original_max_position_embeddings"] as? Int, 256, r.stdout)
            XCTAssertEqual(o["max_position_embeddings"] as? Int, target, "\(config) \(extra)")
            XCTAssertEqual(o["rope_theta"] as? Double, theta)
            XCTAssertEqual((o["long_factor"] as? [Double])?.count, 4)
            // LongRoPE's own attention factor, not the YaRN config's 1.5.
            XCTAssertEqual(o["attention_factor"] as! Double, (1 + log(Double(target) / 256) / log(256)).squareRoot(), accuracy: 1e-12)
        }
        let original = try Attnscope.run(quick + ["--config", plain, "--original", "128"])
        XCTAssertEqual(original.status, 64)
        XCTAssertTrue(original.stderr.contains("config= gives the original length"), original.stderr)
        let run = try Attnscope.run(["run", "--seq", "300", "--heads", "1", "--head-dim", "8", "--repeat", "1", "--warmup", "0", "--csv", "-",
                                     "--method", "longrope:search=on,config=\(plain),population=4,generations=1,mutations=2,crossovers=2,parents=2"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = run.stdout.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = try XCTUnwrap(rows.first), row = try XCTUnwrap(rows.last)
        XCTAssertEqual(row[try XCTUnwrap(header.firstIndex(of: "scaling"))], "longrope", run.stdout)
        XCTAssertEqual(Double(row[try XCTUnwrap(header.firstIndex(of: "scale"))])!, 300.0 / 256, accuracy: 1e-9, run.stdout)
    }

    /// Two compared files with one name keep both scores, under the paths as given; the same
    /// path twice is a usage error.
    func testComparedFilesSharingANameKeepBothScores() throws {
        let a = try temporaryFile("x.json", "[1, 1, 1, 1]"), b = try temporaryFile("x.json", "[1, 1.5, 2, 3]")
        let search = ["rope", "search", "--seq", "300", "--heads", "1", "--head-dim", "8", "--original", "100", "--target", "400",
                      "--population", "4", "--generations", "1", "--mutations", "2", "--crossovers", "2", "--parents", "2"]
        let r = try Attnscope.run(search + ["--compare", a, "--compare", b, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let compared = try XCTUnwrap(try r.json()["compared"] as? [String: Double], r.stdout)
        XCTAssertEqual(Set(compared.keys), [a, b])
        XCTAssertNotEqual(compared[a], compared[b])
        let twice = try Attnscope.run(search + ["--compare", a, "--compare", a])
        XCTAssertEqual(twice.status, 64)
        XCTAssertTrue(twice.stderr.contains("--compare \(a) is given twice"), twice.stderr)
    }

    /// Compared factors that overflow a frequency would score NaN: refused as `run` refuses them.
    func testComparedFactorsThatOverflowAFrequencyExit65() throws {
        let tiny = try temporaryFile("tiny.json", "[1e-320, 1e-320, 1e-320, 1e-320]")
        let r = try Attnscope.run(["rope", "search", "--seq", "300", "--heads", "1", "--head-dim", "8", "--original", "100", "--target", "400",
                                   "--generations", "1", "--compare", tiny])
        XCTAssertEqual(r.status, 65, r.stdout)
        XCTAssertTrue(r.stderr.contains("factors \(tiny): field '(top level)[0]' = 1e-320 makes pair 0's inverse frequency inf"), r.stderr)
        XCTAssertFalse(r.stderr.contains("generation"), "refused before searching: \(r.stderr)")
    }

    /// The user's evaluator: the JSON on stdin, one number out. This one scores Σ(λ − 3)²,
    /// hangs on n̂ = 8 and fails on any other n̂ ≠ 0. Few candidates hang, so the timeout can
    /// be generous: a loaded machine must not time out the candidates that answer.
    static let evaluator = #"""
        #!/bin/sh
        input=$(cat)
        case "$input" in
          *'"nhat":0,'*) ;;
          *'"nhat":8,'*) sleep 30 ;;
          *) echo "refusing this nhat" >&2; exit 3 ;;
        esac
        printf '%s' "$input" | sed 's/.*"long_factor":\[\([^]]*\)\].*/\1/' | tr ',' '\n' | awk '{ s += ($1 - 3) ^ 2 } END { print s }'
        """#

    func testCommandObjectiveEndToEndWithFailingAndHangingCandidates() throws {
        let script = try temporaryFile("evaluate.sh", Self.evaluator)
        let start = Date()
        let r = try Attnscope.run(["rope", "search", "--head-dim", "16", "--heads", "1", "--seq", "64", "--original", "100",
                               "--target", "400", "--population", "16", "--generations", "3", "--mutations", "8",
                               "--crossovers", "8", "--parents", "8", "--objective", "command:sh \(script)",
                               "--timeout", "2", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("exited with status 3: refusing this nhat"), r.stderr)
        XCTAssertTrue(r.stderr.contains("no answer within 2 s"), r.stderr)
        let o = try r.json()
        XCTAssertGreaterThan(o["dropped"] as! Int, 1)
        XCTAssertEqual(o["nhat"] as? Int, 0, "only n̂ = 0 candidates were scored")
        XCTAssertEqual(o["objective"] as? String, "command:sh \(script)")
        let best = o["long_factor"] as! [Double]
        let score = best.reduce(0) { $0 + ($1 - 3) * ($1 - 3) }
        XCTAssertEqual(o["score"] as! Double, score, accuracy: 1e-3 * max(score, 1), "the evaluator's own number")
        XCTAssertLessThan(Date().timeIntervalSince(start), 60)
    }

    /// `search=on` in `attnscope run` searches once per variant, before warmup and repeats.
    func testSearchOnRunsTheSearchOnce() throws {
        let dir = try temporaryDirectory()
        let script = try temporaryFile("count.sh", "cat > /dev/null; echo x >> \(dir)/calls; echo 1.5\n")
        let r = try Attnscope.run(["run", "--seq", "300", "--heads", "1", "--head-dim", "16", "--rope", "standard", "--repeat", "2",
                               "--warmup", "1", "--csv", "-", "--method",
                               "longrope:search=on,original=100,population=6,generations=2,mutations=3,crossovers=3,parents=3,objective=command:sh \(script)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let calls = try String(contentsOfFile: dir + "/calls", encoding: .utf8).split(separator: "\n").count
        XCTAssertGreaterThan(calls, 6)
        XCTAssertLessThanOrEqual(calls, 6 + 2 * 6, "one search, not one per warmup or repeat")
        XCTAssertTrue(r.stdout.contains("search_score"), r.stdout)
    }

    func testEvaluatorFailingOnEveryCandidateExits65() throws {
        let r = try Attnscope.run(["rope", "search", "--head-dim", "8", "--heads", "1", "--seq", "32", "--original", "16", "--target", "64",
                               "--population", "4", "--generations", "1", "--mutations", "2", "--crossovers", "2", "--parents", "2",
                               "--objective", "command:exit 1"])
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.contains("could not score any candidate") && r.stderr.contains("exited with status 1"), r.stderr)
    }

    func testSearchRejectsFlagsThatMeanNothingThere() throws {
        let r = try Attnscope.run(["rope", "search", "--method", "flash", "--seq", "64"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--method"), r.stderr)
        let t = try Attnscope.run(["rope", "search", "--seq", "64", "--original", "4096"])
        XCTAssertEqual(t.status, 64)
        XCTAssertTrue(t.stderr.contains("target"), t.stderr)
    }

    /// At N ≤ 256 every query the proxy scores lies within the largest n̂, so a candidate
    /// keeping standard RoPE there would win with 0: the proxy refuses such content, in
    /// `rope search` and in `run` (before the run); a command objective does not need it.
    func testTheProxyRefusesContentNoLongerThanTheLargestNhat() throws {
        let small = ["--seq", "256", "--heads", "1", "--head-dim", "8"]
        let search = try Attnscope.run(["rope", "search", "--original", "32", "--generations", "1"] + small)
        XCTAssertEqual(search.status, 64, search.stderr)
        XCTAssertTrue(search.stderr.contains("proxy objective needs more than 256 tokens of content (N = 256)"), search.stderr)
        XCTAssertFalse(search.stderr.contains("generation"), "refused before searching: \(search.stderr)")
        let run = try Attnscope.run(["run", "--repeat", "1", "--warmup", "0", "--method", "longrope:search=on,original=32,generations=1"] + small)
        XCTAssertEqual(run.status, 64, run.stderr)
        XCTAssertTrue(run.stderr.contains("proxy objective needs more than 256 tokens"), run.stderr)
        XCTAssertEqual(run.stdout, "")
        let dir = try temporaryDirectory()
        let longer = try Attnscope.run(["rope", "search", "--seq", "257", "--heads", "1", "--head-dim", "8", "--original", "32",
                                        "--population", "4", "--generations", "1", "--mutations", "2", "--crossovers", "2", "--parents", "2",
                                        "--output", "-"], directory: dir)
        XCTAssertEqual(longer.status, 0, longer.stderr)
        // `--output -` is stdout, as --json: the result JSON, no file named "-".
        XCTAssertNotNil(try longer.json()["long_factor"] as? [Double], longer.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
    }
}

extension Attnscope.Result {
    /// stdout parsed as one JSON object.
    func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any] ?? [:]
    }
}
