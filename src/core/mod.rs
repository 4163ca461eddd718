//! Pure decisions, no I/O: keys of a session, placement on the continuum
//! (consistent/standard/ketama), copy versions and the value codec, tombstones,
//! the lock value and its wait, the save_path grammar.

pub mod hash;
pub mod keys;
pub mod lock;
pub mod replica;
pub mod save_path;
pub mod tomb;
