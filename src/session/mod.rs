//! The session save handler: [`handler`] holds the logic on Rust types,
//! [`ffi`] the `ps_module` PHP calls.

pub mod ffi;
pub mod handler;
