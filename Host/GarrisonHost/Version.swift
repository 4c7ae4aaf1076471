public enum GarrisonVersion { public static let string = "0.1.0" }
