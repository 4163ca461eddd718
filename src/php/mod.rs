//! The engine boundary: everything that touches PHP's C API, and the only
//! code allowed `unsafe` besides the shared-memory mapping ([`crate::shared_state::shm`]).
//! Every `unsafe` block carries a `// SAFETY:` line, and every entry point
//! the engine calls runs inside the one panic guard ([`guard`]).
//!
//! From the bottom up (a module imports only those above it in this list):
//! * [`sys`]: raw declarations of the engine symbols ext-php-rs does not
//!   bind, and the hand-declared `ps_module` checked against PHP's header;
//! * [`engine`]: safe wrappers of single engine calls (warning, error log,
//!   ini values, the request's URI and start);
//! * [`guard`]: the panic guard;
//! * [`settings`]: the `rsmemcache.*` directives as a validated
//!   [`crate::config::Config`];
//! * [`ini`]: the entries registered with the engine and their `on_modify`;
//! * [`session_module`]: the `ps_module` PHP's session extension calls;
//! * [`functions`]: `rsmemcache_servers()`, `rsmemcache_locate()`,
//!   `rsmemcache_stats()`;
//! * [`info`]: MINFO (`php --ri rsmemcache`, `phpinfo()`);
//! * `entry`: the module entry, MINIT and MSHUTDOWN.

pub mod engine;
mod entry;
pub mod functions;
pub mod guard;
pub mod info;
pub mod ini;
pub mod session_module;
pub mod settings;
pub mod sys;
