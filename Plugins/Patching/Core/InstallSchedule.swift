import Foundation

/// The hourly install check's decision for one agent (Tactical RMM's
/// check_agent_update_schedule_task): is now the agent's install slot, and has it not
/// installed today already?
public enum InstallSchedule {
    /// The local calendar fields the rule reads. `weekday` is 0 = Monday ... 6 = Sunday.
    public struct Local: Equatable, Sendable {
        public let year: Int, month: Int, day: Int, hour: Int, weekday: Int
    }

    public static func local(_ date: Date, in zone: TimeZone) -> Local {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let c = calendar.dateComponents([.year, .month, .day, .hour, .weekday], from: date)
        // Calendar's weekday is 1 = Sunday ... 7 = Saturday.
        let weekday = ((c.weekday ?? 1) + 5) % 7
        return Local(year: c.year ?? 0, month: c.month ?? 0, day: c.day ?? 0, hour: c.hour ?? 0, weekday: weekday)
    }

    /// The day of month a monthly policy runs on in `month`. Kept as Tactical RMM has it:
    /// February clamps to 28, and the months it lists as 30-day months are 3, 6, 9 and 11
    /// (March instead of April), so in April a 31 never matches and in March 29-31 run on the
    /// 30th; leap years are ignored. docs/compatibility.md lists this.
    public static func monthlyDay(_ day: Int, month: Int) -> Int {
        guard day > 28 else { return day }
        if month == 2 { return 28 }
        if [3, 6, 9, 11].contains(month) { return 30 }
        return day
    }

    /// Whether `policy` (the effective one) installs at `now` in `zone`, given when the agent
    /// last installed (nil = never).
    public static func isDue(_ policy: PatchPolicy, now: Date, zone: TimeZone, lastInstalled: Date?) -> Bool {
        let here = local(now, in: zone)
        if let lastInstalled {
            let last = local(lastInstalled, in: zone)
            if last.year == here.year && last.month == here.month && last.day == here.day { return false }
        }
        switch policy.run_time_frequency {
        case "daily":
            return policy.run_time_days.contains(here.weekday) && here.hour == policy.run_time_hour
        case "monthly":
            return here.day == monthlyDay(policy.run_time_day, month: here.month) && here.hour == policy.run_time_hour
        default:
            return false
        }
    }
}

/// Superseded duplicates (Tactical RMM's delete_superseded_updates): several rows of one KB
/// whose titles carry "(Version x)" (or "(Versão x)"); every version but the newest goes.
public enum Superseded {
    public struct Row: Sendable, Equatable {
        public let id: Int
        public let kb: String
        public let title: String
        public init(id: Int, kb: String, title: String) {
            self.id = id
            self.kb = kb
            self.title = title
        }
    }

    /// The text inside "(Version ...)" or "(Versão ...)", case-insensitively; nil if none.
    public static func version(in title: String) -> String? {
        let lower = title.lowercased()
        for marker in ["(version ", "(versão "] {
            guard let start = lower.range(of: marker) else { continue }
            let rest = lower[start.upperBound...]
            guard let end = rest.firstIndex(of: ")") else { continue }
            // The same offsets in the original title (lowercasing keeps these characters' sizes).
            let from = title.index(title.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: start.upperBound))
            let to = title.index(title.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: end))
            let text = title[from..<to].trimmingCharacters(in: .whitespaces)
            return text.isEmpty ? nil : text
        }
        return nil
    }

    /// Loose version order: numbers compare as numbers, words as text, a number before a word.
    public static func looseLess(_ a: String, _ b: String) -> Bool {
        let x = components(a), y = components(b)
        for (p, q) in zip(x, y) where p != q {
            switch (Int(p), Int(q)) {
            case (let m?, let n?): return m < n
            case (.some, nil): return true
            case (nil, .some): return false
            default: return p < q
            }
        }
        return x.count < y.count
    }

    static func components(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var digits: Bool?
        for ch in text {
            let isDigit = ch.isASCII && ch.isNumber
            let isWord = ch.isLetter
            if !isDigit && !isWord {
                if !current.isEmpty { out.append(current); current = "" }
                digits = nil
                continue
            }
            if let d = digits, d != isDigit, !current.isEmpty { out.append(current); current = "" }
            digits = isDigit
            current.append(ch)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The ids to delete. A KB is left alone when any of its titles has no version.
    public static func toDelete(_ rows: [Row]) -> [Int] {
        var byKB: [String: [Row]] = [:]
        var order: [String] = []
        for row in rows {
            if byKB[row.kb] == nil { order.append(row.kb) }
            byKB[row.kb, default: []].append(row)
        }
        var doomed: [Int] = []
        for kb in order {
            guard let group = byKB[kb], group.count > 1 else { continue }
            let versions = group.compactMap { version(in: $0.title) }
            guard versions.count == group.count else { continue }
            let sorted = versions.sorted(by: looseLess)
            var left = group.sorted { $0.id < $1.id }
            for old in sorted.dropLast() {
                // The first remaining row whose title holds that version.
                guard let index = left.firstIndex(where: { $0.title.contains(old) }) else { continue }
                doomed.append(left[index].id)
                left.remove(at: index)
            }
        }
        return doomed
    }
}
