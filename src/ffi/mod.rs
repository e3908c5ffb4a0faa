//! Every call into C that the Rust bindings do not wrap safely, in one
//! place: the only module where `unsafe` is allowed (the crate denies it
//! everywhere else). Each function here is a safe wrapper whose `SAFETY`
//! comment says why its call is sound.
//!
//! * [`openssl`]: the few OpenSSL functions openssl-sys does not bind
//!   (cipher properties, the pending cipher, the negotiated group, the
//!   certificate-list cap, automatic DH parameters).
//! * [`os`]: the host name, the open-file limit, the effective user, and
//!   signalling a process group.

pub(crate) mod openssl;
pub(crate) mod os;
