#![no_main]
// The checks live in the library (mxprobe::fuzz::raw_first_flight) so that a
// crash reproduces there as a plain call, and `cargo test` replays the corpus.
libfuzzer_sys::fuzz_target!(|data: &[u8]| mxprobe::fuzz::raw_first_flight(data));
