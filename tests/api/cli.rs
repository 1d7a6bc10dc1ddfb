//! The `crm` binary itself.

use std::process::Command;

fn crm() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_crm"));
    for name in ["CRM_JWT_SECRET", "CRM_ENV", "DATABASE_URL", "CRM_ADMIN_EMAIL", "CRM_ADMIN_PASSWORD", "CRM_BIND"] {
        command.env_remove(name);
    }
    // Keep a developer's .env out of the way.
    command.current_dir(std::env::temp_dir());
    command
}

#[test]
fn production_without_a_jwt_secret_refuses_to_start() {
    let output = crm().env("CRM_ENV", "production").arg("serve").output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("CRM_JWT_SECRET"), "{stderr}");

    let output = crm().env("CRM_ENV", "production").env("CRM_JWT_SECRET", "too-short").output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("CRM_JWT_SECRET"));
}

#[test]
fn openapi_subcommand_prints_the_committed_document() {
    let output = crm().arg("openapi").output().unwrap();
    assert!(output.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let committed: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(printed, committed);
}

#[test]
fn migrate_and_create_admin_work_on_a_fresh_sqlite_file() {
    let dir = std::env::temp_dir().join(format!("crm-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.display());
    let migrate = crm().env("DATABASE_URL", &url).arg("migrate").output().unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));
    let create = crm()
        .env("DATABASE_URL", &url)
        .env("CRM_ADMIN_PASSWORD", "cli-password-123")
        .args(["create-admin", "--email", "ops@example.com"])
        .output()
        .unwrap();
    assert!(create.status.success(), "{}", String::from_utf8_lossy(&create.stderr));
    let again = crm()
        .env("DATABASE_URL", &url)
        .env("CRM_ADMIN_PASSWORD", "cli-password-123")
        .args(["create-admin", "--email", "ops@example.com"])
        .output()
        .unwrap();
    assert!(!again.status.success(), "a second admin with the same email is refused");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn seed_loads_a_company_once_and_prints_the_logins() {
    let dir = std::env::temp_dir().join(format!("crm-cli-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/seed.db?mode=rwc", dir.display());
    let seed = || crm().env("DATABASE_URL", &url).args(["seed", "--scale", "0.05", "--until", "2025-01-01"]).output();
    let output = seed().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Loaded ") && stdout.contains("orders"), "{stdout}");
    assert!(stdout.contains("Admin login (created now, shown once): admin@example.com / "), "{stdout}");
    for email in ["manager@example.com", "sales@example.com", "service@example.com"] {
        assert!(stdout.contains(email), "{stdout}");
    }
    let again = seed().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds"));
    let neither = crm().env("DATABASE_URL", &url).arg("seed").output().unwrap();
    assert!(!neither.status.success(), "--demo or --scale is required");
    let _ = std::fs::remove_dir_all(&dir);
}
