import Foundation

/// Reads `garrison.toml` and the environment into a `GarrisonConfig`.
public enum ConfigLoader {
    /// - Parameters:
    ///   - path: the file; nil means no file (defaults and environment only).
    ///   - environment: usually the process environment.
    public static func load(path: String?, environment: [String: String]) throws(ConfigError) -> GarrisonConfig {
        var config = GarrisonConfig()
        if let path {
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw ConfigError(file: path, line: nil, message: "cannot read the file: \(error.localizedDescription)")
            }
            try apply(text: text, file: path, to: &config)
            config.source = path
        }
        try applyEnvironment(environment, to: &config)
        return config
    }

    static func apply(text: String, file: String, to config: inout GarrisonConfig) throws(ConfigError) {
        let table: TOMLTable
        do { table = try TOMLParser.parse(text) } catch {
            throw ConfigError(file: file, line: error.line, message: error.message)
        }
        let sections = Set(ConfigSchema.keys.map(\.section))
        for section in table.keys {
            guard sections.contains(section), let values = table[section]?.tableValue else {
                let known = sections.sorted().joined(separator: ", ")
                throw ConfigError(file: file, line: table.line(of: section), message: "unknown section '\(section)' (known: \(known))")
            }
            for key in values.keys {
                guard let spec = ConfigSchema.keys.first(where: { $0.section == section && $0.name == key }) else {
                    let known = ConfigSchema.keys.filter { $0.section == section }.map(\.name).joined(separator: ", ")
                    throw ConfigError(
                        file: file, line: values.line(of: key), message: "unknown key '\(section).\(key)' (known in [\(section)]: \(known))"
                    )
                }
                let scalar: ConfigScalar
                switch values[key] {
                case .string(let text)?: scalar = .string(text)
                case .integer(let number)?: scalar = .integer(Int(number))
                case .bool(let flag)?: scalar = .boolean(flag)
                default:
                    throw ConfigError(
                        file: file, line: values.line(of: key), message: "'\(section).\(key)' must be a \(spec.kind.rawValue)")
                }
                if let problem = spec.apply(&config, scalar) {
                    throw ConfigError(file: file, line: values.line(of: key), message: "'\(section).\(key)' \(problem)")
                }
            }
        }
    }

    static func applyEnvironment(_ environment: [String: String], to config: inout GarrisonConfig) throws(ConfigError) {
        let byName = Dictionary(uniqueKeysWithValues: ConfigSchema.keys.map { ($0.environmentName, $0) })
        for (name, value) in environment where name.hasPrefix("GARRISON_") && name != "GARRISON_CONFIG" {
            guard let spec = byName[name] else {
                throw ConfigError(
                    file: "environment", line: nil, message: "unknown variable \(name) (see garrison.example.toml for the keys)")
            }
            let scalar: ConfigScalar
            switch spec.kind {
            case .string: scalar = .string(value)
            case .integer:
                guard let number = Int(value) else {
                    throw ConfigError(file: "environment", line: nil, message: "\(name) must be a whole number, not '\(value)'")
                }
                scalar = .integer(number)
            case .boolean:
                switch value.lowercased() {
                case "true", "1", "yes": scalar = .boolean(true)
                case "false", "0", "no": scalar = .boolean(false)
                default: throw ConfigError(file: "environment", line: nil, message: "\(name) must be true or false, not '\(value)'")
                }
            }
            if let problem = spec.apply(&config, scalar) {
                throw ConfigError(file: "environment", line: nil, message: "\(name) \(problem)")
            }
        }
    }
}
