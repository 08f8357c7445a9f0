/// The styles widgets draw with, by role. A colour theme uses the 256-colour palette; the
/// monochrome theme (`NO_COLOR`, terminals without 256 colours) uses attributes only, and
/// heatmaps switch to shade characters.
public struct Theme: Sendable {
    public var colour: Bool
    public var frame: Style
    public var frameFocused: Style
    public var title: Style
    public var titleFocused: Style
    public var label: Style
    public var value: Style
    public var muted: Style
    public var key: Style
    public var error: Style
    public var ok: Style
    public var warning: Style
    public var header: Style
    public var headerSelected: Style
    /// The selected line of a list that has the focus, and of one that does not.
    public var selected: Style
    public var selectedUnfocused: Style
    /// A field being typed into.
    public var editing: Style
    public var barDone: Style
    public var barLeft: Style
    /// Heatmap cells the causal mask forbids.
    public var masked: Style
    /// Distinct colours for variants in plots, in order.
    public var series: [Style]

    public static let colour = Theme(
        colour: true,
        frame: Style(fg: .index(240)), frameFocused: Style(fg: .index(39)),
        title: Style(fg: .index(250), [.bold]), titleFocused: Style(fg: .index(39), [.bold]),
        label: Style(fg: .index(246)), value: Style(fg: .index(255)), muted: Style(fg: .index(242)),
        key: Style(fg: .index(222), [.bold]), error: Style(fg: .index(203), [.bold]), ok: Style(fg: .index(78)),
        warning: Style(fg: .index(214)), header: Style(fg: .index(110), [.bold]),
        headerSelected: Style(fg: .index(16), bg: .index(110), [.bold]),
        selected: Style(fg: .index(255), bg: .index(24), [.bold]), selectedUnfocused: Style(fg: .index(255), bg: .index(237)),
        editing: Style(fg: .index(16), bg: .index(222)),
        barDone: Style(fg: .index(39)), barLeft: Style(fg: .index(238)),
        masked: Style(fg: .index(235), bg: .index(235)),
        series: [39, 208, 78, 170, 220, 203, 81, 141].map { Style(fg: .index($0)) })

    public static let monochrome = Theme(
        colour: false,
        frame: .plain, frameFocused: Style([.bold]), title: Style([.bold]), titleFocused: Style([.bold, .reverse]),
        label: .plain, value: .plain, muted: Style([.dim]), key: Style([.bold]), error: Style([.bold]),
        ok: .plain, warning: Style([.bold]), header: Style([.bold, .underline]), headerSelected: Style([.bold, .reverse]),
        selected: Style([.reverse]), selectedUnfocused: Style([.bold]), editing: Style([.reverse, .underline]),
        barDone: .plain, barLeft: Style([.dim]), masked: .plain, series: [.plain])

    public func seriesStyle(_ i: Int) -> Style { series[i % series.count] }

    /// The heatmap colour of a value in [0, 1] (non-finite: masked).
    public func heat(_ t: Double) -> Color {
        t.isFinite ? .index(Palette.viridis[Palette.level(t)]) : (masked.bg)
    }
}
