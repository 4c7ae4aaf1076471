/// The release and the build. `commit` comes from Tools/build-info (the git commit the
/// sources were built from, "-dirty" when they differed, "unknown" outside git).
public enum GarrisonVersion {
    public static let string = "0.1.0"
    public static let commit = garrisonBuildCommit

    /// "0.1.0+1a2b3c4d5e6f" (semver build metadata): what /core/version/ answers. Tactical
    /// RMM's web UI compares it with the copy it cached to decide whether to reload, which a
    /// new build should make it do.
    public static var build: String {
        commit == "unknown" ? string : "\(string)+\(commit.prefix(12))\(commit.hasSuffix("-dirty") ? ".dirty" : "")"
    }

    /// "0.1.0 (commit 1a2b...)": `garrison --version`.
    public static var long: String { "\(string) (commit \(commit))" }
}
