//! What a server sends after a hand-written hello (`tls::raw`).

use std::time::Duration;

use super::Splits;
use crate::limits::RAW_FIRST_FLIGHT_BYTES;
use crate::tls::raw::{
    read_first_flight, read_heartbeat_reply, FirstFlightReader, RawError, Reply,
};

/// How a run of the reader ended, and how far it read.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    result: Option<Result<Reply, RawError>>,
    read: usize,
}

/// The first-flight reader and the heartbeat reply reader. First byte: how
/// to cut the rest into reads. The answer (or error) and the bytes consumed
/// must be the same however the bytes arrive, never past the cap; fed at
/// most what it wants, it stops exactly where the async reader stops on
/// the same bytes, so a stream is never read past its answer; answers keep
/// the protocol's limits. The heartbeat reader reads at most the cap plus
/// one record header and 3 bytes.
pub fn raw_first_flight(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let whole = feed(&[input]);
    let reads = Splits::new(seed).cut(input, 1 + usize::from(seed % 32));
    let split = feed(&reads);
    assert_eq!(whole, split, "the split into reads changed the result");
    assert!(whole.read <= RAW_FIRST_FLIGHT_BYTES.min(input.len()));
    if let Some(Ok(reply)) = &whole.result {
        check(reply);
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime");
    let step = Duration::from_secs(10);
    let (stream, unread) = runtime.block_on(async {
        let mut rest = input;
        let result = read_first_flight(&mut rest, step).await;
        (result, rest.len())
    });
    match (&whole.result, stream) {
        (Some(Ok(a)), Ok(b)) => assert_eq!(a, &b),
        (Some(Err(a)), Err(b)) => assert_eq!(a, &b),
        (None, Err(RawError::Closed { read })) => assert_eq!(read, input.len()),
        (a, b) => panic!("reader {a:?}, stream {b:?}"),
    }
    assert_eq!(input.len() - unread, whole.read, "read past the answer");

    let unread = runtime.block_on(async {
        let mut rest = input;
        let _ = read_heartbeat_reply(&mut rest, step).await;
        rest.len()
    });
    assert!(input.len() - unread <= RAW_FIRST_FLIGHT_BYTES + 5 + 3);
}

fn feed(reads: &[&[u8]]) -> Outcome {
    let mut reader = FirstFlightReader::new();
    for read in reads {
        let mut rest = *read;
        while !rest.is_empty() {
            // As the async reader does: no more than wanted at a time.
            let want = reader.wanted();
            assert!(want > 0, "wants nothing before an answer");
            let offered = &rest[..want.min(rest.len())];
            match reader.feed(offered) {
                Ok((used, Some(reply))) => {
                    assert!(used <= offered.len());
                    assert_eq!(reader.wanted(), 0);
                    return Outcome {
                        result: Some(Ok(reply)),
                        read: reader.bytes_read(),
                    };
                }
                Ok((used, None)) => {
                    assert_eq!(used, offered.len(), "stopped without an answer");
                    rest = &rest[used..];
                }
                Err(e) => {
                    assert_eq!(reader.wanted(), 0);
                    return Outcome {
                        result: Some(Err(e)),
                        read: reader.bytes_read(),
                    };
                }
            }
        }
    }
    Outcome {
        result: None,
        read: reader.bytes_read(),
    }
}

fn check(reply: &Reply) {
    match reply {
        Reply::ServerHello(h) => {
            assert!(h.session_id.len() <= 32);
            let bytes: usize = h.extensions.iter().map(|(_, b)| 4 + b.len()).sum();
            assert!(bytes <= 0xffff);
            if let Some(v) = h.selected_version {
                assert_eq!(h.negotiated_version(), v);
            }
        }
        Reply::Sslv2ServerHello(h) => assert!(h.cipher_specs.len() * 3 <= 0x7fff),
        Reply::Sslv2Error { .. } | Reply::Alert(_) => {}
    }
}
