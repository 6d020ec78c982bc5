import AsyncTopModel
import AsyncTopTestSupport
import Testing

@testable import asynctop

/// `asynctop stats` as text: it lists the first warnings and says how many it left out (issue 16.16).
@Suite struct StatsTextTests {
    @Test func warningsBeyondTheListedOnesAreCounted() {
        var trace = ScriptedTrace()
        for index in 0..<25 {
            trace.callback(
                UInt64(index + 1), site: "slow.swift:\(index)", at: Double(index * 100), duration: 20, loop: 1)
        }
        let text = StatsCommand.text(TraceSummary(trace.state), file: "x.atrace")
        #expect(text.contains("warnings   25"))
        #expect(text.contains("… and 5 more (all of them: --json, or view 6 of `asynctop replay`)"), "\(text)")
        #expect(text.split(separator: "\n").filter { $0.contains("blocking") }.count == StatsCommand.warningsListed)
    }
}

/// Each timer site's mean period is in the text too, as the timer-drift demo promises (issue 16.16).
@Suite struct StatsTimerSitesTests {
    @Test func theTextGivesEachTimerSitesMeanPeriod() {
        var trace = ScriptedTrace()
        for firing in 0..<5 {
            let at = Double(firing) * 100
            trace.at(at, .timerArmed, loop: 1, name: "Timer.swift:9", id: 1, arg: UInt64((at + 100) * 1e6))
            trace.at(at + 100.5, .timerFired, loop: 1, id: 1, arg: 500_000)
        }
        let text = StatsCommand.text(TraceSummary(trace.state), file: "x.atrace")
        #expect(text.contains("100ms mean period   5× fired   late 500µs mean, 500µs max  Timer.swift:9"), "\(text)")
        #expect(text.contains("timers     5 fired, 0 cancelled, at worst 500µs late"), "\(text)")
    }

    @Test func aSiteThatFiredOnceHasNoPeriod() {
        var trace = ScriptedTrace()
        trace.at(0, .timerArmed, loop: 1, name: "Once.swift:3", id: 1, arg: UInt64(100e6))
        trace.at(101, .timerFired, loop: 1, id: 1, arg: 1_000_000)
        let text = StatsCommand.text(TraceSummary(trace.state), file: "x.atrace")
        // The period's place is left blank: the line does not shift left.
        let line =
            "           " + String(repeating: " ", count: 20) + "1× fired   late 1.00ms mean, 1.00ms max  Once.swift:3"
        #expect(text.contains(line), "\(text)")
        #expect(!text.contains("mean period"), "\(text)")
    }

    /// The lists say what they leave out: the sites listed added up to less than the totals above them.
    @Test func theListsSayHowManyRunsAndFiringsTheyLeaveOut() {
        var trace = ScriptedTrace()
        for site in 0..<7 {
            for run in 0..<3 {
                let at = Double(site * 100 + run * 10)
                trace.callback(UInt64(site * 3 + run + 1), site: "Site.swift:\(site)", at: at, duration: 1, loop: 1)
            }
            let at = Double(site * 100)
            trace.at(at, .timerArmed, loop: 1, name: "Timer.swift:\(site)", id: UInt64(site + 1), arg: UInt64(at * 1e6))
            trace.at(at + 1, .timerFired, loop: 1, id: UInt64(site + 1), arg: 0)
        }
        let text = StatsCommand.text(TraceSummary(trace.state), file: "x.atrace")
        #expect(text.contains("… 6 more runs at other sites"), "\(text)")
        #expect(text.contains("… 2 more firings at other sites"), "\(text)")
    }
}

/// Options that make no sense together are refused with the reason (issue 16.16).
@Suite struct RefusedOptionsTests {
    @Test func aLiveDemoWithADurationAndARefreshOfZeroAreRefused() throws {
        let demo = try ChildProcess.run(asynctopPath, ["demo", "hello-gather", "--duration", "2"])
        #expect(demo.status == 64)
        #expect(demo.stderr.contains("--duration is for a headless run (--record FILE or --publish)"), "\(demo.stderr)")
        let refresh = try ChildProcess.run(asynctopPath, ["demo", "hello-gather", "--refresh", "0"])
        #expect(refresh.status == 64)
        #expect(
            refresh.stderr.contains("--refresh is frames per second: more than 0 and at most 60"), "\(refresh.stderr)")
    }
}
