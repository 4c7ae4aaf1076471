import Foundation
import Testing
@testable import GarrisonHost

/// plugins.d is checked as it is loaded: no symlink is followed, the folder itself must be
/// safe, and the library loaded is the file that was checked.
@Suite struct PluginsFileSafetyTests {
    @Test func aSymlinkedLibraryIsRefused() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.copy("good_minimal")
        let link = folder.libraries.appendingPathComponent("link.so").path
        #expect(symlink(library, link) == 0)
        try folder.write("10-x.toml", "library = \"\(link)\"\n")
        let file = try PluginLoader.read(folder.filePath("10-x.toml"))
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.open(file, taken: { _, _ in nil }) }
        #expect(error?.code == .fileRefused)
        #expect(error?.description.contains("is a symbolic link (to \(library))") == true, "\(error?.description ?? "")")
        #expect(PluginDirectoryCheck.problems(in: folder.path).first?.contains("is a symbolic link") == true)
    }

    @Test func aSymlinkedPluginsFileIsRefused() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("real.conf", fixture: "good_minimal")
        #expect(symlink(folder.filePath("real.conf"), folder.filePath("10-x.toml")) == 0)
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.read(folder.filePath("10-x.toml")) }
        #expect(error?.code == .fileRefused)
        #expect(error?.description.contains("is a symbolic link") == true, "\(error?.description ?? "")")
    }

    @Test(arguments: [0o777, 0o775, 0o1777])
    func aPluginsFolderWritableByOthersIsRefused(mode: Int) throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-x.toml", fixture: "good_minimal")
        chmod(folder.path, mode_t(mode))
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.read(folder.filePath("10-x.toml")) }
        #expect(error?.code == .fileRefused)
        #expect(
            error?.description.contains("the plugins folder \(folder.path) is writable by group or others") == true,
            "\(error?.description ?? "")")
        #expect(PluginDirectoryCheck.problems(in: folder.path).count == 1)
    }

    @Test(.enabled(if: geteuid() == 0)) func aPluginsFolderOwnedBySomeoneElseIsRefused() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        try folder.add("10-x.toml", fixture: "good_minimal")
        #expect(chown(folder.path, 12345, 12345) == 0)
        let error = #expect(throws: PluginLoadError.self) { try PluginLoader.read(folder.filePath("10-x.toml")) }
        #expect(error?.code == .fileRefused)
        #expect(error?.description.contains("owned by uid 12345") == true)
    }

    /// The library is loaded from the descriptor that was checked (/proc/self/fd/N); the
    /// loaded image is still the file its path names (same inode), as tests' counters expect.
    @Test func aLibraryLoadedFromItsDescriptorIsTheFileItsPathNames() throws {
        let folder = try PluginFolder()
        defer { folder.cleanUp() }
        let library = try folder.add("10-x.toml", fixture: "good_minimal", libraryName: "checked")
        let descriptor = try PluginLoader.open(try PluginLoader.read(folder.filePath("10-x.toml")), taken: { _, _ in nil })
        #expect(descriptor.name == "good-minimal")
        #expect(dlopen(library, RTLD_NOW | RTLD_NOLOAD) != nil)
    }
}
