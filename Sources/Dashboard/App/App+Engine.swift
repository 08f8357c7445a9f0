import AttentionEngine

/// Runs and sweeps: starting them through the launcher, cancelling, and folding the
/// engine's messages into the state. Only one job runs at a time, so no variant's timing
/// is disturbed by another's work.
extension App {
    func startRun() {
        guard activeJob == nil else { toast("a job is already running; c cancels it", error: true); return }
        let setup = state.runSpec
        if let why = noVariantOn { toast(why, error: true); return }
        do { try setup.validate() } catch { toast(message(of: error), error: true); return }
        // Inputs that cannot be read fail the run itself, which keeps the reason in Details.
        let skipped = (try? ComparisonRunner(spec: setup).variantsThatCannotRun()) ?? []
        guard skipped.count < setup.methods.count else { toast(skipped[0].reason.message, error: true); return }
        let spec = App.leavingOut(skipped, of: setup)
        let job = takeJobNumber()
        state.session = RunSession(
            job: job, spec: spec, requested: setup, stage: "starting",
            rows: setup.methods.map { m in
                let reason = skipped.first { $0.label == m.label }?.reason.message
                return RowState(label: m.label, method: m.method, status: reason.map { .skipped($0) } ?? .queued)
            },
            attentionMap: nil, phase: .running, started: clock(), ended: nil)
        if state.selectedLabel.map({ l in !setup.methods.contains { $0.label == l } }) ?? true {
            state.selectedLabel = setup.methods.first?.label
        }
        // Files fix H themselves (the setup's is a default): a result then clamps the head.
        if spec.inputs == nil { state.head = min(state.head, max(0, spec.heads - 1)) }
        if !skipped.isEmpty { toast(App.skipNotice(skipped), error: true) }
        activeJob = (job, launcher.start(job: job, specs: [spec]))
    }

    /// `spec` without the variants `skipped` names.
    static func leavingOut(_ skipped: [ComparisonRunner.UnrunnableVariant], of spec: RunSpec) -> RunSpec {
        var kept = spec
        kept.methods.removeAll { m in skipped.contains { $0.label == m.label } }
        return kept
    }

    /// What the message line says about variants left out of a run.
    static func skipNotice(_ skipped: [ComparisonRunner.UnrunnableVariant]) -> String {
        "skipped \(skipped.map(\.label).joined(separator: ", ")): \(skipReason(skipped))"
    }

    /// Why variants are left out: the reason itself when they share one, else a pointer to
    /// the Details panel, which gives each row's.
    static func skipReason(_ skipped: [ComparisonRunner.UnrunnableVariant]) -> String {
        let reasons = Set(skipped.map(\.reason.message))
        return reasons.count == 1 ? reasons.first! : "they cannot run on this setup (Details says why for each)"
    }

    /// Starts a sweep over the given sequence lengths (parsed by the caller). Every length
    /// is checked first, memory included, so a length the machine cannot hold is refused
    /// now, in the lengths prompt, rather than after the shorter ones have run. A variant
    /// that cannot run at some length is left out at every length, so each curve is whole.
    /// Why there is nothing to run, in the dashboard's words (the engine's say `--method`).
    var noVariantOn: String? {
        if state.variants.isEmpty { return "no variants to run: a in the Methods panel adds one" }
        if !state.variants.contains(where: \.enabled) { return "no variant is on: Space in the Methods panel switches one on" }
        return nil
    }

    func startSweep(_ seqs: [Int]) throws {
        guard activeJob == nil else { throw EngineError.usage("a job is already running; c cancels it") }
        if let why = noVariantOn { throw EngineError.usage(why) }
        let setup = state.runSpec
        func at(_ n: Int, _ spec: RunSpec) -> RunSpec { var s = spec; s.seq = n; return s }
        func checked<T>(_ n: Int, _ body: () throws -> T) throws -> T {
            do { return try body() } catch {
                throw EngineError.usage("N=\(ReadableNumbers.grouped(n)): \(message(of: error))")
            }
        }
        var skipped: [ComparisonRunner.UnrunnableVariant] = []
        for n in seqs {
            let found = try checked(n) { try ComparisonRunner(spec: at(n, setup)).variantsThatCannotRun() }
            skipped += found.filter { f in !skipped.contains { $0.label == f.label } }
        }
        guard skipped.count < setup.methods.count else { throw skipped[0].reason }
        let base = App.leavingOut(skipped, of: setup)
        let specs = seqs.map { at($0, base) }
        for s in specs { try checked(s.seq) { try ComparisonRunner(spec: s).check() } }
        let job = takeJobNumber()
        state.sweep = SweepState(job: job, spec: base, seqs: seqs, rows: [:], step: 0, fraction: 0,
                                 stage: "starting", phase: .running)
        state.modal = .sweep
        if !skipped.isEmpty { toast(App.skipNotice(skipped), error: true) }
        activeJob = (job, launcher.start(job: job, specs: specs))
    }

    func takeJobNumber() -> Int {
        defer { nextJob += 1 }
        return nextJob
    }

    func cancelJob() {
        guard let job = activeJob else { toast("nothing is running"); return }
        job.flag.cancel()
        toast("cancelling…")
    }

    func receive(_ message: EngineMessage) {
        switch message {
        case .event(let job, let step, let event):
            // Events that straggle in after their job ended (cancelled work) are dropped.
            if job == state.session?.job, state.session?.phase == .running { apply(event) }
            if job == state.sweep?.job, state.sweep?.phase == .running { applySweep(event, step: step) }
        case .stepFinished(let job, let step, let report):
            if job == state.session?.job { state.session?.attentionMap = report.attentionMap }
            if job == state.sweep?.job, let seq = state.sweep?.seqs[step] { state.sweep?.rows[seq] = report.rows }
        case .jobEnded(let job, let phase):
            if job == activeJob?.id { activeJob = nil }
            if job == state.session?.job { endSession(phase) }
            if job == state.sweep?.job { endSweep(phase) }
        }
    }

    func apply(_ event: RunEvent) {
        guard var s = state.session else { return }
        switch event {
        case .stage(let text): s.stage = text
        case .variantStarted(let label):
            s.stage = "running \(label)"
            if let i = s.rows.firstIndex(where: { $0.label == label }) { s.rows[i].status = .running(0); s.rows[i].started = clock() }
        case .progress(let label, let fraction):
            if let i = s.rows.firstIndex(where: { $0.label == label }) { s.rows[i].status = .running(fraction) }
        case .result(let r):
            if let i = s.rows.firstIndex(where: { $0.label == r.row.label }) {
                s.rows[i].status = .done
                s.rows[i].result = r.row
                s.rows[i].coverage = r.coverage
                s.rows[i].computedShares = r.coverage?.computedShares(causal: r.row.causal)
            }
            state.history[AppState.historyKey(label: r.row.label, in: s.spec), default: []].append(r.row.latencyMs)
            state.head = min(state.head, max(0, r.row.heads - 1))
        }
        state.session = s
    }

    func endSession(_ phase: JobPhase) {
        guard var s = state.session else { return }
        s.phase = phase
        s.ended = clock()
        for i in s.rows.indices where s.rows[i].result == nil && !s.rows[i].status.isSkipped { s.rows[i].status = .stopped }
        switch phase {
        case .finished: s.stage = "done"
        case .cancelled: s.stage = "cancelled"; toast("run cancelled")
        case .failed(let e): s.stage = "failed"; toast(e.message, error: true)
        case .running: break
        }
        state.session = s
    }

    func applySweep(_ event: RunEvent, step: Int) {
        guard var s = state.sweep else { return }
        s.step = step
        let n = ReadableNumbers.grouped(s.seqs[step])
        switch event {
        case .stage(let text): s.stage = "N=\(n): \(text)"
        case .variantStarted(let label): s.stage = "N=\(n): running \(label)"; s.fraction = 0
        case .progress(_, let fraction): s.fraction = fraction
        case .result: s.fraction = 1
        }
        state.sweep = s
    }

    func endSweep(_ phase: JobPhase) {
        state.sweep?.phase = phase
        switch phase {
        case .finished: state.sweep?.stage = "done"
        case .cancelled: state.sweep?.stage = "cancelled"; toast("sweep cancelled")
        case .failed(let e): state.sweep?.stage = "failed"; toast(e.message, error: true)
        case .running: break
        }
    }

    /// The sweep's default lengths: doubling from N/8 (at least 256) up to the setup's N.
    func defaultSweepLengths() -> String {
        let top = state.setup.seq
        var n = max(min(256, top), top / 8)
        var out: [Int] = []
        while n < top { out.append(n); n *= 2 }
        out.append(top)
        return out.map(String.init).joined(separator: ",")
    }

    /// Parses `1024,2048,4096` or `1024..16384` (doubling) into sequence lengths.
    static func parseSweepLengths(_ text: String) throws -> [Int] {
        let t = text.replacingOccurrences(of: " ", with: "")
        let bad = EngineError.usage("sweep lengths: '\(text)' is not a list like 1024,2048,4096 or a range like 1024..16384")
        var seqs: [Int]
        if let r = t.range(of: "..") {
            guard let lo = Int(t[..<r.lowerBound]), let hi = Int(t[r.upperBound...]), lo >= 1, hi >= lo else { throw bad }
            seqs = []
            var n = lo
            // Stop past 16 lengths (refused below) before doubling could overflow.
            while n < hi && seqs.count <= 16 { seqs.append(n); n = n > hi / 2 ? hi : n * 2 }
            seqs.append(hi)
        } else {
            seqs = try t.split(separator: ",").map { guard let n = Int($0), n >= 1 else { throw bad }; return n }
        }
        seqs = Array(Set(seqs)).sorted()
        guard seqs.count >= 2 else { throw EngineError.usage("sweep lengths: give at least two lengths") }
        guard seqs.count <= 16 else { throw EngineError.usage("sweep lengths: at most 16 lengths") }
        return seqs
    }
}
