//! The scheduler examples, run: the Kubernetes Jobs' arguments and the
//! Slurm scripts, as written, against the in-process servers (an `mxprobe`
//! on PATH adds where the lab is), each joined report compared with the
//! single scan's; the manifests also against Kubernetes' own schemas
//! (kubernetes-validate, installed by tests/examples/setup.sh).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{args, assert_ran, mxprobe};
use crate::shards::{csv_difference, path, World};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn setup() {
    let script = repo().join("tests/examples/setup.sh");
    let out = Command::new("bash").arg(&script).output().expect("bash");
    assert!(
        out.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A directory with an `mxprobe` that runs this build with the lab's
/// flags added, to put first on PATH.
fn wrapper(world: &World) -> PathBuf {
    let bin = world.dir.join("bin");
    std::fs::create_dir_all(&bin).expect("bin");
    let flags: Vec<String> = world.lab_flags().iter().map(|f| format!("'{f}'")).collect();
    let script = format!(
        "#!/bin/sh\nexec '{}' \"$@\" {}\n",
        env!("CARGO_BIN_EXE_mxprobe"),
        flags.join(" ")
    );
    write_executable(&bin.join("mxprobe"), &script);
    bin
}

fn write_executable(file: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(file, text).expect("write");
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn with_path(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The joined report in `data` is that of a single scan of the list.
async fn assert_joined_as_single(world: &World, data: &Path) {
    let mut a = args(&["-i", &path(&world.list)]);
    a.extend(world.flags());
    a.extend(args(&["-f", "csv"]));
    let single = mxprobe(&a).await;
    assert_ran(&single);
    let joined = std::fs::read(data.join("report.csv")).expect("report");
    assert_eq!(csv_difference(&joined, &single.stdout), None);
}

/// Every document of a YAML file, as JSON (PyYAML reads it).
fn yaml(file: &Path) -> Vec<Value> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(file)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The value after `flag` in `args`.
fn after<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    let i = args.iter().position(|a| a == flag)?;
    args.get(i + 1).map(String::as_str)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kubernetes_jobs_validate_and_run() {
    setup();
    let dir = repo().join("examples/kubernetes");
    let manifests: Vec<PathBuf> = ["storage", "resolve", "probe", "join"]
        .iter()
        .map(|n| dir.join(format!("{n}.yaml")))
        .collect();
    let out = Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict"])
        .args(&manifests)
        .output()
        .expect("kubernetes-validate");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let world = World::start("kubernetes").await;
    let data = world.dir.join("data");
    for d in ["resolved", "probed"] {
        std::fs::create_dir_all(data.join(d)).expect("data");
    }
    std::fs::copy(&world.list, data.join("domains.txt")).expect("list");
    let bin = wrapper(&world);
    let on_data = |s: &str| s.replace("/data", &path(&data));
    let mut shards = None;
    for stage in ["resolve", "probe"] {
        let doc = &yaml(&dir.join(format!("{stage}.yaml")))[0];
        let spec = &doc["spec"];
        assert_eq!(spec["completionMode"], "Indexed", "{stage}");
        let n = spec["completions"].as_u64().expect("completions");
        assert_eq!(
            spec["parallelism"].as_u64(),
            Some(n),
            "{stage}: all at once"
        );
        let pod = &spec["template"]["spec"];
        let volume = &pod["volumes"][0]["persistentVolumeClaim"]["claimName"];
        assert_eq!(volume, "mxprobe-data", "{stage}: the shared volume");
        let container = &pod["containers"][0];
        assert!(
            container["command"].is_null(),
            "{stage}: the image's entrypoint"
        );
        let a = strings(&container["args"]);
        assert_eq!(a[0], stage);
        assert_eq!(
            after(&a, "--shards"),
            Some(n.to_string().as_str()),
            "{stage}: --shards = completions"
        );
        assert_eq!(
            after(&a, "--shard"),
            Some("$(JOB_COMPLETION_INDEX)"),
            "{stage}"
        );
        assert!(
            after(&a, "-o").is_some_and(|o| o.contains("$(JOB_COMPLETION_INDEX)")),
            "{stage}: a file per index"
        );
        assert!(
            a.contains(&"--resume".to_string()),
            "{stage}: a restarted pod resumes"
        );
        assert!(shards.is_none_or(|s| s == n), "both stages shard alike");
        shards = Some(n);
        let runs = (0..n).map(|k| {
            let a: Vec<String> = a
                .iter()
                .map(|x| on_data(&x.replace("$(JOB_COMPLETION_INDEX)", &k.to_string())))
                .collect();
            let mut c = tokio::process::Command::new(bin.join("mxprobe"));
            c.args(a).kill_on_drop(true);
            async move { c.output().await.expect("run") }
        });
        for out in futures::future::join_all(runs).await {
            assert_eq!(
                out.status.code(),
                Some(0),
                "{stage}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let doc = &yaml(&dir.join("join.yaml"))[0];
    let container = &doc["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(strings(&container["command"]), ["/bin/sh", "-c"]);
    let script = on_data(&strings(&container["args"])[0]);
    let out = tokio::process::Command::new("/bin/sh")
        .args(["-c", &script])
        .env("PATH", with_path(&bin))
        .output()
        .await
        .expect("join");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("stats.json").is_file());

    assert_joined_as_single(&world, &data).await;
    let _ = std::fs::remove_dir_all(&world.dir);
}

/// `sbatch` as far as submit.sh uses it: runs the script at once, each
/// array index as its own process at the same time, and fails when one
/// does (as `afterok` would hold the next stage).
const FAKE_SBATCH: &str = r#"#!/bin/bash
set -u
array="" script=""
for a in "$@"; do
    case $a in
        --array=*) array=${a#--array=} ;;
        --parsable|--export=*|--dependency=afterok:*) ;;
        -*) echo "sbatch (test): unexpected option $a" >&2; exit 2 ;;
        *) script=$a ;;
    esac
done
echo "$*" >> "$SBATCH_LOG"
if [ -z "$array" ]; then
    bash "$script" || exit 1
else
    pids=()
    for i in $(seq "${array%-*}" "${array#*-}"); do
        SLURM_ARRAY_TASK_ID=$i bash "$script" & pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || exit 1; done
fi
echo $$
"#;

#[tokio::test(flavor = "multi_thread")]
async fn the_slurm_scripts_run() {
    let dir = repo().join("examples/slurm");
    // The directives: arrays for the sharded stages, 0-7 as SHARDS' default.
    for (script, array) in [
        ("resolve.sbatch", Some("0-7")),
        ("probe.sbatch", Some("0-7")),
        ("join.sbatch", None),
    ] {
        let text = std::fs::read_to_string(dir.join(script)).expect("script");
        let directive = text
            .lines()
            .find_map(|l| l.strip_prefix("#SBATCH --array="));
        assert_eq!(directive, array, "{script}");
        if array.is_some() {
            assert!(
                text.contains("${SHARDS:-8}") && text.contains("--shard \"$SLURM_ARRAY_TASK_ID\""),
                "{script}"
            );
        }
    }
    let world = World::start("slurm").await;
    let data = world.dir.join("data");
    std::fs::create_dir_all(&data).expect("data");
    std::fs::copy(&world.list, data.join("domains.txt")).expect("list");
    let bin = wrapper(&world);
    write_executable(&bin.join("sbatch"), FAKE_SBATCH);
    let log = world.dir.join("sbatch.log");
    let out = tokio::process::Command::new("bash")
        .arg(dir.join("submit.sh"))
        .env("PATH", with_path(&bin))
        .env("SHARDS", "3")
        .env("MXPROBE_DATA", &data)
        .env("SBATCH_LOG", &log)
        .current_dir(&world.dir)
        .output()
        .await
        .expect("submit.sh");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let submitted = std::fs::read_to_string(&log).expect("log");
    let lines: Vec<&str> = submitted.lines().collect();
    assert_eq!(lines.len(), 3, "{submitted}");
    assert!(lines[0].contains("--array=0-2") && lines[0].ends_with("resolve.sbatch"));
    assert!(lines[1].contains("--dependency=afterok:") && lines[1].ends_with("probe.sbatch"));
    assert!(lines[2].contains("--dependency=afterok:") && lines[2].ends_with("join.sbatch"));
    for stage in ["resolved", "probed"] {
        let files = std::fs::read_dir(data.join(stage)).expect("dir").count();
        assert_eq!(files, 3, "{stage}: a file per array task");
    }
    assert_joined_as_single(&world, &data).await;
    let _ = std::fs::remove_dir_all(&world.dir);
}
