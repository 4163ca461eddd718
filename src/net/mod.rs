//! The memcached side: meta-command encoding and reply matching, one
//! connection (plain or TLS) and the poll loop, the pool of servers with its
//! idle connections and failover state, ASCII authentication, the late-reply
//! watcher and the process's pools by save_path.

pub mod auth;
pub mod connection;
pub mod late;
pub mod pool;
pub mod protocol;
pub mod registry;
pub mod tls;
