//! Secrets named by directives: files checked for safe modes, and the
//! session values' authenticated encryption.

pub mod crypt;
pub mod secret_file;
