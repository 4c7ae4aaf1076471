import Foundation
import FuzzSupport
import GarrisonHost

// The TOML parser (Config/TOML) reads garrison.toml and every plugins.d file. Any text must
// parse or throw a TOMLError with a line and column inside the text; what parses must render
// as JSON that JSONReader accepts (a plugin's [settings] reach the plugin that way).

FuzzDriver.run { input in
    let text = String(decoding: input, as: UTF8.self)
    let table: TOMLTable
    do throws(TOMLError) { table = try TOMLParser.parse(text) } catch {
        let lines = text.utf8.count { $0 == 0x0A } + 1
        precondition(error.line >= 1 && error.line <= lines + 1 && error.column >= 1, "error outside the text: \(error)")
        return
    }
    let json = table.jsonString()
    do { _ = try JSON.parse(Data(json.utf8)) } catch {
        fatalError("TOMLTable.jsonString() wrote invalid JSON (\(error)): \(json)")
    }
}
