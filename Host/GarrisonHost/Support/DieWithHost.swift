import Foundation

/// The command line that makes a long-lived child die with the host: util-linux's setpriv
/// sets PR_SET_PDEATHSIG in the child before it execs the program (posix_spawn cannot, and
/// Swift cannot run code between fork and exec). A child that must run as another user goes
/// through setpriv twice: the kernel clears the death signal when the uid changes, so the
/// uid is changed first and the signal set after. Both exec in place, so the program stays
/// the host's own child (its pid is the one posix_spawn answered) and the host reaps it.
enum DieWithHost {
    enum Signal: String, Sendable {
        /// PostgreSQL's fast shutdown: disconnect, checkpoint, exit.
        case interrupt = "INT"
        case terminate = "TERM"
    }

    struct Command: Equatable {
        let executable: String
        let arguments: [String]
    }

    static func setpriv() -> String? {
        Subprocess.which("setpriv", extraDirectories: ["/usr/bin", "/bin"])
    }

    /// `executable arguments`, wrapped so that it gets `signal` when the host dies and runs
    /// as `user` (uid, gid) when given. Without setpriv, the program runs unwrapped (it would
    /// outlive a killed host; the next start then finds and handles it), unless it must
    /// change user, which is refused.
    static func command(
        _ executable: String, _ arguments: [String], signal: Signal, user: (uid: uid_t, gid: gid_t)? = nil,
        setpriv: String? = DieWithHost.setpriv()
    ) throws -> Command {
        guard let setpriv else {
            if user != nil { throw SubprocessError("starting \(executable) as another user needs setpriv (util-linux)") }
            return Command(executable: executable, arguments: arguments)
        }
        var wrapped: [String] = []
        if let user {
            wrapped = ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--init-groups", "--", setpriv]
        }
        wrapped += ["--pdeathsig=\(signal.rawValue)", "--", executable] + arguments
        return Command(executable: setpriv, arguments: wrapped)
    }
}
