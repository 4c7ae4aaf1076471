/// An operator's row as the account routes read it (never the password hash).
struct UserRow: Sendable {
    let id: Int
    let username: String
    let email: String
    let firstName: String
    let lastName: String
    let isActive: Bool
    let isSuperuser: Bool
    let roleID: Int?
    let blockDashboardLogin: Bool
    let isInstallerUser: Bool
    let lastLogin: String?
    let lastLoginIP: String?
    let dateJoined: String?

    init(_ row: PGRow) {
        id = row.int("id")
        username = row.string("username")
        email = row.string("email")
        firstName = row.string("first_name")
        lastName = row.string("last_name")
        isActive = row.bool("is_active")
        isSuperuser = row.bool("is_superuser")
        roleID = row.optionalInt("role_id")
        blockDashboardLogin = row.bool("block_dashboard_login")
        isInstallerUser = row.bool("is_installer_user")
        lastLogin = row["last_login"]
        lastLoginIP = row["last_login_ip"]
        dateJoined = row["date_joined"]
    }

    /// Tactical RMM's user object.
    var json: JSON {
        [
            "id": .init(id), "username": .init(username), "email": .init(email), "first_name": .init(firstName),
            "last_name": .init(lastName), "is_active": .init(isActive), "is_superuser": .init(isSuperuser), "role": .init(roleID),
            "block_dashboard_login": .init(blockDashboardLogin), "is_installer_user": .init(isInstallerUser),
            "last_login": .init(lastLogin), "last_login_ip": .init(lastLoginIP), "date_joined": .init(dateJoined),
        ]
    }
}
