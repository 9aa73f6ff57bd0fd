//! The `spoke` binary as a new user meets it: first start, demo data,
//! configuration errors, and a graceful stop on SIGTERM.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SPOKE: &str = env!("CARGO_BIN_EXE_spoke");

fn spoke(dir: &std::path::Path) -> Command {
    let mut command = Command::new(SPOKE);
    command
        .current_dir(dir)
        .env_remove("SPOKE_DATABASE_URL")
        .env_remove("SPOKE_JWT_SECRET")
        .env_remove("SPOKE_ENV")
        .env("SPOKE_LOG", "warn");
    command
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `spoke serve` and returns it with the lines it printed before listening.
fn serve(dir: &std::path::Path, port: u16) -> (Child, Vec<String>) {
    let mut child = spoke(dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "spoke exited early: {lines:?}"
        );
        let done = line.contains("Sign in:");
        lines.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    (child, lines)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

fn wait_until_up(port: u16) {
    let started = Instant::now();
    while ureq::get(&format!("http://127.0.0.1:{port}/healthz"))
        .call()
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "spoke did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sigterm(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_first_start_creates_an_admin_who_can_sign_in_and_sigterm_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (mut child, lines) = serve(dir.path(), port);
    let email = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("email:"))
        .expect("the first admin's email is printed")
        .trim()
        .to_owned();
    let password = lines
        .iter()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("a one-time password is printed")
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    assert!(lines.iter().any(|l| l.contains("/docs/")), "{lines:?}");
    wait_until_up(port);
    let mut reply = agent()
        .post(&format!("http://127.0.0.1:{port}/v1/auth/login"))
        .send_json(serde_json::json!({"email": email, "password": password}))
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: serde_json::Value = reply.body_mut().read_json().unwrap();
    assert_eq!(body["user"]["role"], "admin");
    assert!(
        dir.path().join("spoke.db.jwt-secret").exists(),
        "the dev secret is kept"
    );

    sigterm(&child);
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no graceful stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");

    // A restart keeps the secret, so the earlier token still works.
    let (mut again, lines) = serve(dir.path(), port);
    assert!(
        !lines.iter().any(|l| l.contains("password:")),
        "no second admin"
    );
    wait_until_up(port);
    let token = body["access_token"].as_str().unwrap();
    let me = agent()
        .get(&format!("http://127.0.0.1:{port}/v1/me"))
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .unwrap();
    assert_eq!(me.status(), 200);
    sigterm(&again);
    again.wait().unwrap();
}

#[test]
fn seed_demo_fills_a_demo_agency_once() {
    let dir = tempfile::tempdir().unwrap();
    let first = spoke(dir.path()).arg("seed-demo").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let text = String::from_utf8_lossy(&first.stdout);
    assert!(text.contains("300 clients"), "{text}");
    assert!(text.contains("sam.okafor@demo.spoke.test"), "{text}");
    assert!(
        text.contains("jo.therapist@demo.spoke.test           care_team_member"),
        "{text}"
    );
    let second = spoke(dir.path()).arg("seed-demo").output().unwrap();
    let text = String::from_utf8_lossy(&second.stdout);
    assert!(text.contains("already here (300 clients)"), "{text}");
}

#[test]
fn production_refuses_to_start_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let output = spoke(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("SPOKE_ENV", "production")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("SPOKE_JWT_SECRET is required"), "{text}");
    let short = spoke(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("SPOKE_JWT_SECRET", "too short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 32 bytes"));
}

#[test]
fn create_user_makes_an_account_that_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let output = spoke(dir.path())
        .args([
            "create-user",
            "--email",
            "Ops@Example.org",
            "--display-name",
            "Ops",
            "--role",
            "admin",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("ops@example.org (admin)"), "{text}");
    assert!(text.contains("One-time password:"), "{text}");
    let bad = spoke(dir.path())
        .args([
            "create-user",
            "--email",
            "x@example.org",
            "--display-name",
            "X",
            "--role",
            "case_manager",
        ])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("team_id"));
}
