//! What the sequential and the parallel reader share: the block size, how
//! a read fails, and the decoder that recognises compressed input by its
//! content.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

// Bytes handed from the reading thread to the parser at a time.
pub(super) use crate::limits::LOG_BLOCK as CHUNK;

/// Why a stream could not be read to its end.
pub(super) enum Failure {
    Io(io::Error),
    Unsupported(&'static str),
}

/// `reader` as plain text, or decompressed if it starts with gzip's magic
/// number. Other compressors are recognised to say so, not read.
pub(super) fn decoder<'a, R: Read + Send + 'a>(
    mut reader: R,
) -> Result<Box<dyn Read + Send + 'a>, Failure> {
    let mut head = Vec::with_capacity(6);
    (&mut reader)
        .take(6)
        .read_to_end(&mut head)
        .map_err(Failure::Io)?;
    let magic: &[(&[u8], &str)] = &[
        (b"BZh", "bzip2"),
        (b"\xfd7zXZ\x00", "xz"),
        (b"\x28\xb5\x2f\xfd", "zstd"),
        (b"\x04\x22\x4d\x18", "lz4"),
    ];
    if let Some((_, kind)) = magic.iter().find(|(m, _)| head.starts_with(m)) {
        return Err(Failure::Unsupported(kind));
    }
    let gzip = head.starts_with(b"\x1f\x8b");
    let whole = io::Cursor::new(head).chain(reader);
    Ok(if gzip {
        Box::new(MultiGzDecoder::new(whole))
    } else {
        Box::new(whole)
    })
}
