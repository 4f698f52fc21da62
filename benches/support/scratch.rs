//! Scratch PostgreSQL databases for the benches that need them: created fresh, dropped with
//! their guard however the run ends (panics included).

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;

/// Runs `sql` on the server at `base`, on a thread of its own (the blocking connection
/// wrapper must not run inside an async runtime).
pub fn admin(base: &str, sql: &str) {
    let (base, sql) = (base.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        let mut conn = <AsyncConnectionWrapper<AsyncPgConnection> as Connection>::establish(&base).expect("connect");
        conn.batch_execute(&sql).expect("admin statement");
    })
    .join()
    .expect("admin thread");
}

/// Databases created on the server at `base`, dropped with this guard.
pub struct Scratch {
    base: String,
    names: Vec<String>,
}

impl Scratch {
    /// No databases yet, on the server at `base`.
    pub fn new(base: &str) -> Self {
        Self { base: base.to_owned(), names: Vec::new() }
    }

    /// Creates the database `name`; answers its URL.
    pub fn create(&mut self, name: &str) -> String {
        admin(&self.base, &format!("CREATE DATABASE {name}"));
        self.names.push(name.to_owned());
        let root = self.base.rsplit_once('/').map_or(self.base.as_str(), |(root, _)| root);
        format!("{root}/{name}")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for name in &self.names {
            admin(&self.base, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}
