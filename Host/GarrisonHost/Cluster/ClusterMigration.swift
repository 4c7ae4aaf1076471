/// Several hosts on one database (docs/scale-out.md): the hosts and their nats-server nodes,
/// the secret the nodes' routes authenticate with, the generation of the nodes' generated
/// config (agent users and routes), and login failures counted across hosts.
enum ClusterMigration {
    static let v11 = Migration(
        version: 11, name: "scale-out: hosts, nats cluster, shared login throttle",
        sql: """
            -- One row per host (its id is kept in its data folder). cluster_address is where its
            -- nats-server node takes routes from the other nodes (host:port), NULL when the host
            -- runs no node (nats.url). nats_generation: the newest config generation its node runs.
            CREATE TABLE garrison_hosts (
                id text PRIMARY KEY,
                hostname text NOT NULL DEFAULT '',
                cluster_address text,
                nats_generation bigint NOT NULL DEFAULT 0,
                started_at timestamptz NOT NULL DEFAULT now(),
                seen_at timestamptz NOT NULL DEFAULT now()
            );
            -- The route credentials every node shares (one row), made by the first host.
            CREATE TABLE nats_cluster (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                route_user text NOT NULL,
                route_password text NOT NULL
            );
            -- Taken after every change to what the nodes' config holds (agents enrolled or
            -- deleted, hosts joining); each node acknowledges the newest it has loaded.
            CREATE SEQUENCE nats_config_generation;
            -- Login failures per throttle key, so that every host counts every host's failures.
            CREATE TABLE login_failures (
                key text PRIMARY KEY,
                failures integer NOT NULL,
                last_failure timestamptz NOT NULL
            );
            CREATE INDEX login_failures_last ON login_failures(last_failure);
            """)
}
