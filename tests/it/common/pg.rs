//! The tests' PostgreSQL (scripts/test-pg.sh starts it; `LINKSMITH_TEST_DATABASE_URL` names it),
//! shared by the store's suite and the instances test.

/// The PostgreSQL server of the tests (`postgres://user@host:port`, no database), if any. Set
/// `LINKSMITH_TEST_PG=required` (scripts/dev does) to make its absence a failure, not a skip.
pub fn pg_base() -> Option<String> {
    let base = std::env::var("LINKSMITH_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty());
    if base.is_none() {
        assert!(
            std::env::var("LINKSMITH_TEST_PG").as_deref() != Ok("required"),
            "LINKSMITH_TEST_PG=required but LINKSMITH_TEST_DATABASE_URL is not set: run the tests through scripts/dev test"
        );
        eprintln!("LINKSMITH_TEST_DATABASE_URL is not set: the PostgreSQL half of the store suite is skipped (scripts/dev test runs it)");
    }
    base.map(|b| b.trim_end_matches('/').to_string())
}

/// A new, empty database on the test server; its address.
pub async fn fresh_database(base: &str, name: &str) -> String {
    let db = format!(
        "t_{name}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    );
    let (client, connection) =
        tokio_postgres::connect(&format!("{base}/postgres"), tokio_postgres::NoTls)
            .await
            .expect("the test PostgreSQL answers");
    let task = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .await
        .expect("a test database is created");
    drop(client);
    let _ = task.await;
    format!("{base}/{db}")
}

/// A session of its own on the database at `url` (another client than the store's pool): its
/// connection runs on a task until the client is dropped.
pub async fn session(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("the test PostgreSQL answers");
    tokio::spawn(connection);
    client
}
