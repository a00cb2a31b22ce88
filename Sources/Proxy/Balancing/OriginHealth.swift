/// One origin's health from active checks (interval, rise, fall) and passive marks (a failed
/// connect counts as a failed check). Pure.
package struct OriginHealth: Sendable {
    package let rise: Int
    package let fall: Int
    package private(set) var healthy = true
    private var streak = 0

    package init(rise: Int = 2, fall: Int = 3) {
        self.rise = rise
        self.fall = fall
    }

    /// Records a check or connect outcome; answers whether the verdict changed.
    @discardableResult
    package mutating func record(success: Bool) -> Bool {
        if success == healthy {
            streak = 0
            return false
        }
        streak += 1
        if streak >= (healthy ? fall : rise) {
            healthy.toggle()
            streak = 0
            return true
        }
        return false
    }
}
