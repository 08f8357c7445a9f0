import AttentionEngine

/// The Results panel: which rows show (filter), in what order (sort), which one is selected
/// (it drives the heatmap), and which column ←/→ has chosen.
extension AppState {
    /// The session's rows that pass the filter, in the chosen order (run order when unsorted).
    public var visibleRows: [RowState] {
        guard let session else { return [] }
        var rows = session.rows
        if !filter.isEmpty { rows = rows.filter { $0.label.localizedCaseInsensitiveContains(filter) } }
        if let sort, let column = ResultColumn.all(for: session.results).first(where: { $0.id == sort.column }) {
            // Rows without a result yet keep their run order after the finished ones.
            let finished = rows.filter { $0.result != nil }.sorted { a, b in
                let (ka, kb) = (column.sortKey(a.result!), column.sortKey(b.result!))
                return sort.descending ? ka > kb : ka < kb
            }
            rows = finished + rows.filter { $0.result == nil }
        }
        return rows
    }

    /// The selected row: the one with the selected label if visible, else the first.
    public var selectedRow: RowState? {
        let rows = visibleRows
        return selectedIndex(in: rows).map { rows[$0] }
    }

    /// The column the cursor is on among `count` columns: kept where it was, or the last
    /// one when this run has fewer.
    public func resultsColumn(among count: Int) -> Int { min(max(0, resultsColumn), count - 1) }

    /// Where the selected row is in `rows` (this state's `visibleRows`, computed once by the
    /// caller): the row with the selected label, else the first; nil when there are none.
    func selectedIndex(in rows: [RowState]) -> Int? {
        rows.firstIndex { $0.label == selectedLabel } ?? (rows.isEmpty ? nil : 0)
    }

    /// Heads of the data on screen (the finished run's, else the setup's).
    public var displayedHeads: Int {
        session?.rows.lazy.compactMap(\.result).first?.heads ?? session?.spec.heads ?? setup.heads
    }
}

extension App {
    func moveSelection(by delta: Int) {
        let rows = state.visibleRows
        guard !rows.isEmpty else { return }
        let i = state.selectedIndex(in: rows) ?? 0
        state.selectedLabel = rows[min(max(0, i + delta), rows.count - 1)].label
    }

    /// `o`: ascending, then descending, then run order, on the chosen column.
    func toggleSort() {
        let columns = ResultColumn.all(for: state.session?.results ?? [])
        let id = columns[state.resultsColumn(among: columns.count)].id
        switch state.sort {
        case let s? where s.column == id && !s.descending: state.sort = (id, true)
        case let s? where s.column == id: state.sort = nil
        default: state.sort = (id, false)
        }
    }
}
