extension Duration {
    /// Whole milliseconds, saturating at Int64's bounds: the ABI takes milliseconds, and a
    /// plugin's absurd duration must be refused by a range check, not trap on the multiply.
    var wholeMilliseconds: Int64 {
        let (product, overflow) = components.seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return components.seconds < 0 ? .min : .max }
        let (sum, carry) = product.addingReportingOverflow(components.attoseconds / 1_000_000_000_000_000)
        return carry ? (product < 0 ? .min : .max) : sum
    }
}
