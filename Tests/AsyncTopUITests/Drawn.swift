import AsyncTopModel
import AsyncTopUI

/// `state` drawn in `view` on a `columns`×`rows` canvas, as the monitor draws it: for the tests that read a screen's
/// lines. `configure` sets anything else of the monitor's state first.
func drawn(
    _ state: RuntimeState, view: ViewID = .overview, columns: Int, rows: Int, label: String = "test",
    configure: (inout MonitorState) -> Void = { _ in }
) -> MemoryCanvas {
    var monitor = MonitorState(sourceLabel: label)
    monitor.view = view
    configure(&monitor)
    var canvas = MemoryCanvas(rows: rows, columns: columns)
    Screen.draw(state, &monitor, on: &canvas)
    return canvas
}
