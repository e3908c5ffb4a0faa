//! The few OpenSSL functions openssl-sys does not bind, and safe wrappers.
//!
//! All of them exist in OpenSSL 3.0 and later; the vendored build is 3.x.

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_long, c_void};

use foreign_types::ForeignTypeRef;
use openssl::ssl::{SslCipherRef, SslContextBuilder, SslRef};
use openssl_sys::{SSL, SSL_CIPHER};

// `STACK_OF(SSL_CIPHER)` is only ever handled through the generic stack calls.
type CipherStack = c_void;

extern "C" {
    fn SSL_get_ciphers(ssl: *const SSL) -> *mut CipherStack;
    fn SSL_get_pending_cipher(ssl: *const SSL) -> *const SSL_CIPHER;
    fn SSL_CIPHER_get_kx_nid(cipher: *const SSL_CIPHER) -> c_int;
    fn SSL_CIPHER_get_auth_nid(cipher: *const SSL_CIPHER) -> c_int;
    fn SSL_CIPHER_is_aead(cipher: *const SSL_CIPHER) -> c_int;
    fn SSL_group_to_name(ssl: *mut SSL, id: c_int) -> *const c_char;
    fn SSL_ctrl(ssl: *mut SSL, cmd: c_int, larg: c_long, parg: *mut c_void) -> c_long;
    fn OPENSSL_sk_num(stack: *const c_void) -> c_int;
    fn OPENSSL_sk_value(stack: *const c_void, idx: c_int) -> *mut c_void;
}

/// `SSL_CTRL_GET_NEGOTIATED_GROUP` from ssl.h (`SSL_get_negotiated_group` is a macro).
const SSL_CTRL_GET_NEGOTIATED_GROUP: c_int = 134;
/// `SSL_CTRL_SET_MAX_CERT_LIST` from ssl.h (`SSL_CTX_set_max_cert_list` is a macro).
const SSL_CTRL_SET_MAX_CERT_LIST: c_int = 51;

/// Caps the certificate chain a peer may send at `bytes`
/// (`SSL_CTX_set_max_cert_list`); a longer one fails the handshake with
/// "excessive message size".
pub(crate) fn set_max_cert_list(ctx: &mut SslContextBuilder, bytes: usize) {
    let bytes = c_long::try_from(bytes).unwrap_or(c_long::MAX);
    // SAFETY: `ctx` is a live SSL_CTX; this command only stores the number.
    unsafe {
        openssl_sys::SSL_CTX_ctrl(
            ctx.as_ptr(),
            SSL_CTRL_SET_MAX_CERT_LIST,
            bytes,
            std::ptr::null_mut(),
        );
    }
}

/// The ciphers (TLS 1.3 suites first, then the ≤ 1.2 list) this SSL object
/// will offer, in offer order: what `SSL_get_ciphers` returns.
pub(crate) fn offered_ciphers(ssl: &SslRef) -> Vec<&SslCipherRef> {
    // SAFETY: `ssl` is a live SSL; the stack and its ciphers are owned by it
    // (ciphers are static tables) and outlive the returned borrow of `ssl`.
    unsafe {
        let stack = SSL_get_ciphers(ssl.as_ptr());
        if stack.is_null() {
            return Vec::new();
        }
        let n = OPENSSL_sk_num(stack);
        (0..n)
            .filter_map(|i| {
                let c = OPENSSL_sk_value(stack, i) as *mut SSL_CIPHER;
                (!c.is_null()).then(|| SslCipherRef::from_ptr(c))
            })
            .collect()
    }
}

/// The cipher the server chose, while the handshake is still under way (in a
/// callback), or `None` before the ServerHello.
pub(crate) fn pending_cipher(ssl: &SslRef) -> Option<&SslCipherRef> {
    // SAFETY: `ssl` is live; the returned cipher is a static table entry.
    unsafe {
        let c = SSL_get_pending_cipher(ssl.as_ptr());
        (!c.is_null()).then(|| SslCipherRef::from_ptr(c as *mut SSL_CIPHER))
    }
}

/// Key-exchange NID of a cipher (`NID_kx_ecdhe`, `NID_kx_rsa`, `NID_kx_any`…).
pub(crate) fn kx_nid(cipher: &SslCipherRef) -> c_int {
    // SAFETY: `cipher` is a valid SSL_CIPHER.
    unsafe { SSL_CIPHER_get_kx_nid(cipher.as_ptr()) }
}

/// Authentication NID of a cipher (`NID_auth_rsa`, `NID_auth_null`…).
pub(crate) fn auth_nid(cipher: &SslCipherRef) -> c_int {
    // SAFETY: `cipher` is a valid SSL_CIPHER.
    unsafe { SSL_CIPHER_get_auth_nid(cipher.as_ptr()) }
}

pub(crate) fn is_aead(cipher: &SslCipherRef) -> bool {
    // SAFETY: `cipher` is a valid SSL_CIPHER.
    unsafe { SSL_CIPHER_is_aead(cipher.as_ptr()) == 1 }
}

/// Name of the key-exchange group negotiated on a finished handshake
/// (`x25519`, `secp256r1`, `ffdhe2048`, `X25519MLKEM768`), if any.
pub(crate) fn negotiated_group(ssl: &SslRef) -> Option<String> {
    // SAFETY: `ssl` is live; SSL_ctrl with this command only reads state, and
    // SSL_group_to_name returns a static string or NULL.
    unsafe {
        let ptr = ssl.as_ptr();
        let id = SSL_ctrl(ptr, SSL_CTRL_GET_NEGOTIATED_GROUP, 0, std::ptr::null_mut());
        if id <= 0 {
            return None;
        }
        let name = SSL_group_to_name(ptr, id as c_int);
        if name.is_null() {
            return None;
        }
        Some(CStr::from_ptr(name).to_string_lossy().into_owned())
    }
}

/// Let the server pick DH parameters to match its key
/// (`SSL_CTX_set_dh_auto`, a macro openssl-sys does not bind).
#[cfg(feature = "testkit")]
pub(crate) fn set_dh_auto(ctx: &mut SslContextBuilder) {
    // SAFETY: the pointer is the builder's own live SSL_CTX; the call only
    // sets its "automatic DH parameters" flag.
    unsafe { openssl_sys::SSL_CTX_set_dh_auto(ctx.as_ptr(), 1) };
}
