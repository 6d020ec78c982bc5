// A program for the concurrency tap's tests and the README: plain Swift Concurrency on the global executor,
// traced by one line. With `--untraced` it skips that line (for `asynctop run`, which preloads the tap).
//
//   fan-out    a TaskGroup of 8 named tasks, each yielding a few times
//   chain      a task awaiting a chain of three async functions
//   actor      16 tasks incrementing one actor 1 000 times each
//   blocker    a task that blocks its pool thread in usleep for 150 ms
//
// `--own-hook` sets a global-executor hook of its own first (as SwiftNIO or a test library would), which must
// keep working under asynctop's; the summary says how many jobs it saw.
//
// `--switch-region DIR` publishes a second region in DIR from inside a task and points the tap at it (as the demo
// tour does), emits a counter there (`sample.switched`), then runs the rounds in a task named "sample main" that
// it spawns: the thread that switched first only emitted into the new region, and then runs jobs in it.
//
// It repeats the round for `--seconds S` (default: one round), then prints a summary and exits 0; `--exit N` exits
// with status N at once instead (for `asynctop run`'s tests).
import AsyncTopConcurrency
import AsyncTopTrace
import ConcurrencySampleHook
import Dispatch

#if canImport(Glibc)
    import Glibc
#endif

let arguments = CommandLine.arguments
if arguments.contains("--own-hook"), !sample_install_counting_hook() {
    print("could not set the sample's own hook")
    exit(3)
}
let tap: ConcurrencyTap?
if !arguments.contains("--untraced") {
    do {
        tap = try AsyncTop.traceConcurrency()
        if tap?.chainedToAnotherHook == true {
            print("asynctop: another global-executor hook was set first; chained to it")
        }
    } catch {
        print(error)
        exit(2)
    }
} else {
    tap = nil
}
let switchDirectory = arguments.firstIndex(of: "--switch-region").map { arguments[$0 + 1] }
if let index = arguments.firstIndex(of: "--exit"), let status = Int32(arguments[index + 1]) { exit(status) }
let seconds = arguments.firstIndex(of: "--seconds").flatMap { Double(arguments[$0 + 1]) } ?? 0

actor Counter {
    var value = 0
    func increment() { value += 1 }
}

func leaf(_ n: Int) async -> Int {
    await Task.yield()
    return n * 2
}
func middle(_ n: Int) async -> Int { await leaf(n) + 1 }
func top(_ n: Int) async -> Int { await middle(n) + 1 }

func round() async -> (fanOut: Int, chain: Int, counter: Int) {
    let fanOut = await withTaskGroup(of: Int.self) { group in
        for i in 0..<8 {
            group.addTask(name: "worker \(i)") {
                var sum = 0
                for step in 0..<5 {
                    sum += step * i
                    await Task.yield()
                }
                return sum
            }
        }
        return await group.reduce(0, +)
    }
    let chain = await Task(name: "chain") { await top(20) }.value
    let counter = Counter()
    await withTaskGroup(of: Void.self) { group in
        for i in 0..<16 {
            group.addTask(name: "increment \(i)") {
                for _ in 0..<1_000 { await counter.increment() }
            }
        }
    }
    await Task(name: "blocker") { _ = usleep(150_000) }.value
    return (fanOut, chain, await counter.value)
}

/// Points the tap at a new region published in `directory` and emits `sample.switched` there.
func switchRegion(into directory: String) {
    do {
        let second = try Region.publish(directory: directory)
        tap?.trace(into: second)
        tap?.emit(.counter, name: second.names.intern("sample.switched"), arg: 1)
    } catch {
        print(error)
        exit(2)
    }
}

let done = DispatchSemaphore(value: 0)
func sampleMain() async {
    let start = DispatchTime.now().uptimeNanoseconds
    var rounds = 0
    var last = (fanOut: 0, chain: 0, counter: 0)
    repeat {
        last = await round()
        rounds += 1
    } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
    print("rounds \(rounds) fan-out \(last.fanOut) chain \(last.chain) counter \(last.counter)")
    if arguments.contains("--own-hook") { print("own hook saw \(sample_counted_jobs()) jobs") }
    done.signal()
}
if let switchDirectory {
    Task.detached(name: "switcher") {
        switchRegion(into: switchDirectory)
        await Task(name: "sample main") { await sampleMain() }.value
    }
} else {
    Task.detached(name: "sample main") { await sampleMain() }
}
done.wait()
// 'sample main' signals before it returns: give it a moment to end, so that its end is traced before exit.
usleep(50_000)
