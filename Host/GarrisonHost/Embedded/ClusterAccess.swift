import Foundation

/// Whether a user can enter every folder above a path. The private cluster runs as the
/// `postgres` user when the host is root; the host changes nothing outside its data folder,
/// so a parent the user cannot enter (a home folder of mode 700) is named instead.
enum ClusterAccess {
    /// The folders above `url` (not `url` itself) that uid/gid cannot search, each with its
    /// owner and mode, nearest to / first.
    static func unreachableParents(of url: URL, uid: uid_t, gid: gid_t, user: String) -> [String] {
        let groups = Set(groupIDs(user: user, gid: gid))
        var blocked: [String] = []
        var current = url.standardizedFileURL.deletingLastPathComponent()
        while true {
            var info = stat()
            if stat(current.path, &info) == 0, !canSearch(info, uid: uid, groups: groups) {
                blocked.append("\(current.path) (owner uid \(info.st_uid), mode \(String(info.st_mode & 0o7777, radix: 8)))")
            }
            if current.path == "/" || current.path.isEmpty { break }
            current = current.deletingLastPathComponent()
        }
        return blocked.reversed()
    }

    static func canSearch(_ info: stat, uid: uid_t, groups: Set<gid_t>) -> Bool {
        if uid == 0 { return true }
        if info.st_uid == uid { return info.st_mode & S_IXUSR != 0 }
        if groups.contains(info.st_gid) { return info.st_mode & S_IXGRP != 0 }
        return info.st_mode & S_IXOTH != 0
    }

    private static func groupIDs(user: String, gid: gid_t) -> [gid_t] {
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, gid, &groups, &count) == -1 {
            groups = [gid_t](repeating: 0, count: Int(max(count, 1)))
            guard getgrouplist(user, gid, &groups, &count) != -1 else { return [gid] }
        }
        return Array(groups.prefix(Int(max(count, 0)))) + [gid]
    }
}
