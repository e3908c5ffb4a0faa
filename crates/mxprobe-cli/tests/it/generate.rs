//! `mxprobe --generate`: the man page and shell completions from the flags'
//! definitions.

use crate::common::{args, mxprobe};

#[tokio::test(flavor = "multi_thread")]
async fn the_man_page_is_roff_with_every_flag() {
    let out = mxprobe(&args(&["--generate", "man"])).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = String::from_utf8(out.stdout).expect("utf-8");
    // Requests (lines starting with a dot) from the first line on, and the
    // title of section 1.
    assert!(page.starts_with('.'), "{page}");
    assert!(page.contains("\n.TH mxprobe 1 "), "{page}");
    assert!(page.contains("\n.SH OPTIONS\n"), "{page}");
    // Roff spells a hyphen `\-`.
    let text = page.replace("\\-", "-");
    assert!(text.contains("--per-host"), "{page}");
    assert!(text.contains("--fail-on"), "{page}");
    assert!(!text.contains("--generate"), "the flag itself is hidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_know_the_flags_and_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let out = mxprobe(&args(&["--generate", &format!("complete-{shell}")])).await;
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = String::from_utf8(out.stdout).expect("utf-8");
        assert!(script.contains("per-host"), "{shell}: {script}");
        assert!(script.contains("logs"), "{shell}: {script}");
    }
    let out = mxprobe(&args(&["--generate", "complete-bash"])).await;
    let script = String::from_utf8(out.stdout).expect("utf-8");
    assert!(script.contains("--per-host"), "{script}");
    assert!(script.contains("complete -F _mxprobe"), "{script}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_kind_is_a_one_line_error_with_exit_2() {
    let out = mxprobe(&args(&["--generate", "complete-tcsh"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("mxprobe: --generate \"complete-tcsh\": unknown"),
        "{stderr}"
    );
    assert!(stderr.contains("complete-bash"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_goes_alone() {
    let out = mxprobe(&args(&["--generate", "man", "example.org"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "nothing generated, nothing scanned");
}
