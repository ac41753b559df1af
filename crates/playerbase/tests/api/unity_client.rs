//! The Unity package's C# client, compiled with Mono's `mcs` and run with
//! `mono` against the real binary: its test program (clients/unity/Tests~/Mono)
//! drives every client method and the error cases. Without Mono this test
//! says so and passes, except on CI (`CI=true`), where Mono is required.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::binary::playerbase;
use crate::database::FreshDatabase;
use crate::process::Server;

fn unity_package() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../clients/unity")
}

fn found(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|out| out.status.success())
}

#[test]
fn the_unity_client_passes_its_tests_against_the_real_server() {
    if !(found("mcs") && found("mono")) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs Mono for the Unity client's tests: apt-get install mono-mcs mono-runtime \
             libmono-system-net-http4.0-cil (.ci/run installs them)"
        );
        eprintln!(
            "skipped: mcs or mono is not installed (apt-get install mono-mcs mono-runtime libmono-system-net-http4.0-cil)"
        );
        return;
    }
    let build = tempfile::tempdir().unwrap();
    let program = build.path().join("ClientTests.exe");
    let compiled = Command::new("mcs")
        .current_dir(unity_package())
        .args(["-warnaserror", "-target:exe", "-r:System.Net.Http.dll"])
        .arg(format!("-out:{}", program.display()))
        // The runtime as a game outside Unity compiles it (no UNITY_* symbols), and the test program.
        .args(["-recurse:Runtime/*.cs", "-recurse:Tests~/Mono/*.cs"])
        .output()
        .unwrap();
    assert!(
        compiled.status.success(),
        "mcs failed:\n{}{}",
        String::from_utf8_lossy(&compiled.stdout),
        String::from_utf8_lossy(&compiled.stderr)
    );

    // Access tokens that expire within a test, so the client's refreshing is exercised. Expiry is
    // counted in whole seconds, so 2 gives one to two seconds: one could leave a refreshed token
    // a millisecond, and the retry it was for would fail.
    // Some twenty sign-ups and logins from one address: the per-address limits are off here (the
    // client's handling of 429 is tested against a fake server).
    let fresh = FreshDatabase::sqlite();
    let database = fresh.database.clone();
    let server = Server::start_on(
        fresh,
        &[
            ("PLAYERBASE_AUTH__ACCESS_SECONDS", "2"),
            ("PLAYERBASE_LIMITS__REGISTER_PER_IP", "0"),
            ("PLAYERBASE_LIMITS__LOGIN_PER_IP", "0"),
        ],
    );
    let key = playerbase(
        Path::new(&database),
        &["api-key", "create", "--name", "unity", "--scope", "awards:write", "--scope", "players:write"],
    );
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let key = String::from_utf8(key.stdout).unwrap().trim().to_owned();

    let run = Command::new("mono").arg(&program).arg(server.url("")).arg(&key).output().unwrap();
    let report = String::from_utf8_lossy(&run.stdout);
    println!("{report}");
    let (_, log) = server.stop();
    assert!(
        run.status.success(),
        "the C# client's tests failed:\n{report}{}\n--- server log:\n{log}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(report.contains(" passed, 0 failed"), "the test program's summary is missing:\n{report}");
}
