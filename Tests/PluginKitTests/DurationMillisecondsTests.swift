import Testing
@testable import PluginKit

/// What PluginKit hands the ABI as milliseconds: the fraction of a second is kept, and a
/// duration beyond Int64 milliseconds saturates (the host's range check then refuses it)
/// instead of trapping.
struct DurationMillisecondsTests {
    @Test func fractionsOfASecondAreKept() {
        #expect(Duration.milliseconds(1500).wholeMilliseconds == 1500)
        #expect(Duration.milliseconds(1).wholeMilliseconds == 1)
        #expect(Duration.microseconds(999).wholeMilliseconds == 0)
        #expect(Duration.seconds(95).wholeMilliseconds == 95_000)
    }

    @Test func absurdDurationsSaturate() {
        #expect(Duration.seconds(Int64.max).wholeMilliseconds == .max)
        #expect(Duration.seconds(Int64.min).wholeMilliseconds == .min)
    }
}
