import ArgumentParser
import AsyncTopTrace

/// `asynctop list`: the processes publishing an asynctop region for this user.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the processes that publish asynctop trace regions.")

    @Option(
        help: ArgumentHelp(
            "Directory to look in (default: $XDG_RUNTIME_DIR/asynctop, else /dev/shm/asynctop-$UID, else "
                + "/tmp/asynctop-$UID).")
    )
    var directory: String = RegionDirectory.defaultPath

    @Flag(help: "Remove the files of stale regions (their process is gone), then list what is left.")
    var clean = false

    func run() throws {
        if clean {
            for entry in try RegionDirectory.removeStale(directory: directory) {
                print("removed \(TerminalSafeText.make(entry.path)) (process \(entry.pid), gone)")
            }
        }
        let entries = try RegionDirectory.list(directory: directory)
        if entries.isEmpty {
            print("No process publishes an asynctop region in \(directory).")
            return
        }
        print("PID      STATE  PROCESS")
        for entry in entries {
            let pid = String(entry.pid) + String(repeating: " ", count: max(0, 8 - String(entry.pid).count))
            print("\(pid) \(entry.isStale ? "stale" : "live ")  \(TerminalSafeText.make(entry.processName))")
        }
        if entries.contains(where: \.isStale) {
            print("Stale regions belong to processes that are gone: --clean removes them.")
        }
    }
}
