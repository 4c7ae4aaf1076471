import Foundation

/// One entry for every fuzz target. Built by Fuzz/run.sh (AddressSanitizer, libFuzzer's
/// coverage, libFuzzer without its main, -DGARRISON_FUZZ), it hands `test` to libFuzzer's
/// driver, which parses libFuzzer's own options. (With `-sanitize=fuzzer`, libFuzzer's main
/// would replace this program's, and the top-level code that sets `test` would never run.)
/// Built plainly, as `swift build --build-tests` does, the same program replays the files and
/// folders named on its command line through `test`, so the package always builds and a
/// corpus or a crash file can be re-run under a debugger without the fuzzer.
public enum FuzzDriver {
    /// libFuzzer calls back through a C function pointer, which cannot capture: the test
    /// is kept here, set once before the driver starts.
    nonisolated(unsafe) static var test: (UnsafeRawBufferPointer) -> Void = { _ in }

    public static func run(_ test: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        Self.test = test
        #if GARRISON_FUZZ
            var argc = CommandLine.argc
            var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
            exit(
                LLVMFuzzerRunDriver(&argc, &argv) { data, size in
                    FuzzDriver.test(UnsafeRawBufferPointer(start: data, count: size))
                    return 0
                })
        #else
            exit(replay(Array(CommandLine.arguments.dropFirst())))
        #endif
    }

    /// Runs every file named, and every file in every folder named; 2 when one cannot be read.
    static func replay(_ paths: [String]) -> Int32 {
        let manager = FileManager.default
        var files: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isFolder) else {
                FileHandle.standardError.write(Data("\(path): no such file or folder\n".utf8))
                return 2
            }
            if isFolder.boolValue {
                let names = (try? manager.contentsOfDirectory(atPath: path)) ?? []
                files += names.sorted().map { path + "/" + $0 }
            } else {
                files.append(path)
            }
        }
        for file in files {
            guard let data = manager.contents(atPath: file) else {
                FileHandle.standardError.write(Data("\(file): cannot read\n".utf8))
                return 2
            }
            data.withUnsafeBytes { test($0) }
        }
        print("replayed \(files.count) input\(files.count == 1 ? "" : "s") without a crash")
        return 0
    }
}

#if GARRISON_FUZZ
    /// libFuzzer's driver, for programs that keep their own main (LLVM's FuzzerInterface.h).
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt
#endif
