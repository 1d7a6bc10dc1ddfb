//! Typed settings from the environment. The variable names are part of the
//! product's contract (deployments and checks use them), see README.

use std::fmt;
use std::net::SocketAddr;

use rand::RngCore;

/// Minimum length of `CRM_JWT_SECRET` in bytes (HS256 wants a key at least
/// as long as its output).
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret string whose `Debug` output never shows the value, so that a
/// logged `Settings` cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: String,
    pub bind: SocketAddr,
    pub jwt_secret: Secret,
    /// Whether `jwt_secret` was generated for this process (development).
    pub jwt_secret_generated: bool,
    pub environment: Environment,
    pub admin_email: Option<String>,
    pub admin_password: Option<Secret>,
    pub demo_data: bool,
    pub cors_origins: Vec<String>,
    pub log_format: LogFormat,
    /// Lifetime of an access token, in seconds.
    pub access_token_ttl_secs: i64,
    /// Lifetime of a refresh token, in seconds.
    pub refresh_token_ttl_secs: i64,
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// Size of the database connection pool.
    pub db_max_connections: u32,
    /// HTTP worker threads.
    pub workers: usize,
    /// Service-level targets per ticket priority.
    pub sla: SlaPolicy,
    /// Whether this process delivers webhooks (one or more instances may).
    pub webhook_worker: bool,
    /// Webhook targets on loopback, private, link-local or metadata
    /// addresses are refused unless this is set (`CRM_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// The first retry delay of a failed delivery, in milliseconds; each
    /// retry doubles it, up to an hour.
    pub webhook_retry_base_ms: u64,
    /// How often the alerts are evaluated for `alerts.raised` and
    /// `alerts.cleared` webhook events, in seconds (only while someone
    /// subscribes to them).
    pub alert_interval_secs: u64,
    /// Requests per minute per client (user, API key or address); 0 turns
    /// the limit off (`CRM_RATE_LIMIT`).
    pub rate_limit_per_minute: u32,
    /// Sign-in attempts per account per 15 minutes; an address gets four
    /// times as many (`CRM_LOGIN_ATTEMPTS`).
    pub login_attempts: u32,
    /// Whether the client address comes from `Forwarded` /
    /// `X-Forwarded-For` (only behind a reverse proxy that sets them).
    pub trust_forwarded_for: bool,
    /// How long a request waits for a database connection before it is
    /// answered 503, in seconds (`CRM_DB_TIMEOUT_SECS`).
    pub db_timeout_secs: u64,
    /// The organization's time zone until an administrator sets one
    /// (`CRM_TIME_ZONE`, an IANA name; default `UTC`): what the settings
    /// row is created with on the first start.
    pub time_zone: chrono_tz::Tz,
}

/// First-response and resolution targets, in minutes, per priority
/// (`CRM_SLA_URGENT=60,240` and so on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlaPolicy {
    /// (first response, resolution) for urgent, high, normal and low.
    pub targets: [(i64, i64); 4],
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy { targets: [(60, 240), (240, 1440), (480, 4320), (1440, 7200)] }
    }
}

fn parse_sla(source: &dyn Source) -> Result<SlaPolicy, ConfigError> {
    let mut policy = SlaPolicy::default();
    for (index, name) in ["CRM_SLA_URGENT", "CRM_SLA_HIGH", "CRM_SLA_NORMAL", "CRM_SLA_LOW"].into_iter().enumerate() {
        if let Some(value) = source.get(name) {
            let parsed =
                value.split_once(',').and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
            match parsed {
                Some((first, resolution)) if first > 0 && resolution > 0 => policy.targets[index] = (first, resolution),
                _ => {
                    return Err(ConfigError::Invalid {
                        name,
                        value,
                        expected: "two positive minute counts: first response, resolution (e.g. 60,240)",
                    });
                }
            }
        }
    }
    Ok(policy)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "CRM_JWT_SECRET is required when CRM_ENV=production: set it to a random string of at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
    )]
    MissingJwtSecret,
    #[error("CRM_JWT_SECRET is too short: {0} bytes, at least {MIN_JWT_SECRET_BYTES} are required")]
    ShortJwtSecret(usize),
    #[error("{name} has an invalid value {value:?}: {expected}")]
    Invalid { name: &'static str, value: String, expected: &'static str },
}

/// Where configuration values come from; the process environment in
/// production, a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for Vec<(&str, String)> {
    fn get(&self, name: &str) -> Option<String> {
        self.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
    }
}

impl<const N: usize> Source for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
    }
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError::Invalid { name, value: value.into(), expected: "true or false" }),
    }
}

fn parse_number<T: std::str::FromStr>(source: &dyn Source, name: &'static str, default: T) -> Result<T, ConfigError> {
    match source.get(name) {
        None => Ok(default),
        Some(v) => {
            v.trim().parse().map_err(|_| ConfigError::Invalid { name, value: v, expected: "a positive whole number" })
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&ProcessEnv)
    }

    pub fn from_source(source: &dyn Source) -> Result<Self, ConfigError> {
        let environment = match source.get("CRM_ENV").as_deref().map(str::trim) {
            None | Some("development") | Some("dev") => Environment::Development,
            Some("production") | Some("prod") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "CRM_ENV",
                    value: other.into(),
                    expected: "development or production",
                });
            }
        };
        let (jwt_secret, jwt_secret_generated) = match source.get("CRM_JWT_SECRET") {
            Some(secret) if secret.len() >= MIN_JWT_SECRET_BYTES => (Secret::new(secret), false),
            Some(secret) if environment == Environment::Production => {
                return Err(ConfigError::ShortJwtSecret(secret.len()));
            }
            None if environment == Environment::Production => return Err(ConfigError::MissingJwtSecret),
            // Development: a random per-process secret (tokens die with the
            // process, which is what a developer expects).
            _ => {
                let mut bytes = [0u8; 48];
                rand::rng().fill_bytes(&mut bytes);
                use base64::Engine;
                (Secret::new(base64::engine::general_purpose::STANDARD.encode(bytes)), true)
            }
        };
        let bind_text = source.get("CRM_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = bind_text.trim().parse().map_err(|_| ConfigError::Invalid {
            name: "CRM_BIND",
            value: bind_text.clone(),
            expected: "an address like 127.0.0.1:8080",
        })?;
        let database_url = source.get("DATABASE_URL").unwrap_or_else(|| "sqlite://crm.db?mode=rwc".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                value: redact_url(&database_url),
                expected: "a sqlite://... or postgres://... URL",
            });
        }
        let demo_data = match source.get("CRM_DEMO_DATA") {
            Some(v) => parse_bool("CRM_DEMO_DATA", &v)?,
            None => environment == Environment::Development,
        };
        let cors_origins = source
            .get("CRM_CORS_ORIGINS")
            .map(|v| v.split(',').map(|o| o.trim().to_string()).filter(|o| !o.is_empty()).collect())
            .unwrap_or_default();
        let log_format = match source.get("CRM_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "CRM_LOG_FORMAT",
                    value: other.into(),
                    expected: "text or json",
                });
            }
        };
        Ok(Settings {
            database_url,
            bind,
            jwt_secret,
            jwt_secret_generated,
            environment,
            admin_email: source.get("CRM_ADMIN_EMAIL").map(|e| e.trim().to_string()),
            admin_password: source.get("CRM_ADMIN_PASSWORD").map(Secret::new),
            demo_data,
            cors_origins,
            log_format,
            access_token_ttl_secs: parse_number(source, "CRM_ACCESS_TOKEN_TTL_SECS", 15 * 60)?,
            refresh_token_ttl_secs: parse_number(source, "CRM_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            max_body_bytes: parse_number(source, "CRM_MAX_BODY_BYTES", 2 * 1024 * 1024)?,
            db_max_connections: parse_number(source, "CRM_DB_MAX_CONNECTIONS", 10)?,
            sla: parse_sla(source)?,
            webhook_worker: match source.get("CRM_WEBHOOK_WORKER") {
                Some(v) => parse_bool("CRM_WEBHOOK_WORKER", &v)?,
                None => true,
            },
            webhook_allow_private: match source.get("CRM_WEBHOOK_ALLOW_PRIVATE") {
                Some(v) => parse_bool("CRM_WEBHOOK_ALLOW_PRIVATE", &v)?,
                None => false,
            },
            webhook_retry_base_ms: parse_number(source, "CRM_WEBHOOK_RETRY_BASE_MS", 1000)?,
            alert_interval_secs: parse_number(source, "CRM_ALERT_INTERVAL_SECS", 60)?,
            rate_limit_per_minute: parse_number(source, "CRM_RATE_LIMIT", 1200)?,
            login_attempts: parse_number(source, "CRM_LOGIN_ATTEMPTS", 10)?,
            trust_forwarded_for: match source.get("CRM_TRUST_FORWARDED_FOR") {
                Some(v) => parse_bool("CRM_TRUST_FORWARDED_FOR", &v)?,
                None => false,
            },
            db_timeout_secs: parse_number(source, "CRM_DB_TIMEOUT_SECS", 5)?.max(1),
            time_zone: match source.get("CRM_TIME_ZONE") {
                Some(name) => crate::calendar::parse_zone(name.trim()).ok_or(ConfigError::Invalid {
                    name: "CRM_TIME_ZONE",
                    value: name,
                    expected: "an IANA time zone name such as Asia/Shanghai or UTC",
                })?,
                None => chrono_tz::Tz::UTC,
            },
            workers: parse_number(
                source,
                "CRM_WORKERS",
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
            )?,
        })
    }

    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }
}

/// A database URL with its password replaced, fit for logs and errors.
pub fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
    {
        let user = userinfo.split(':').next().unwrap_or("");
        return format!("{scheme}://{user}:***@{host}");
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_requires_a_jwt_secret() {
        let err = Settings::from_source(&[("CRM_ENV", "production")]).err();
        assert_eq!(err, Some(ConfigError::MissingJwtSecret));
        assert!(ConfigError::MissingJwtSecret.to_string().contains("CRM_JWT_SECRET"));
    }

    #[test]
    fn production_rejects_a_short_secret() {
        let err = Settings::from_source(&[("CRM_ENV", "production"), ("CRM_JWT_SECRET", "short")]).err();
        assert_eq!(err, Some(ConfigError::ShortJwtSecret(5)));
    }

    #[test]
    fn development_defaults() {
        let s = Settings::from_source(&[]).ok();
        let s = s.as_ref();
        assert_eq!(s.map(|s| s.bind.to_string()), Some("127.0.0.1:8080".into()));
        assert_eq!(s.map(|s| s.demo_data), Some(true));
        assert_eq!(s.map(|s| s.jwt_secret_generated), Some(true));
        assert_eq!(s.map(|s| s.jwt_secret.expose().len() >= MIN_JWT_SECRET_BYTES), Some(true));
    }

    #[test]
    fn secrets_do_not_show_in_debug_output() {
        let s = Settings::from_source(&[
            ("CRM_JWT_SECRET", "0123456789abcdef0123456789abcdef-secret"),
            ("CRM_ADMIN_PASSWORD", "hunter2hunter2"),
        ]);
        let text = format!("{s:?}");
        assert!(!text.contains("secret\""));
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn cors_origins_are_split() {
        let s = Settings::from_source(&[("CRM_CORS_ORIGINS", "https://a.example, https://b.example,")]);
        assert_eq!(
            s.map(|s| s.cors_origins).ok(),
            Some(vec!["https://a.example".to_string(), "https://b.example".to_string()])
        );
    }

    #[test]
    fn sla_targets_are_read_and_checked() {
        let s = Settings::from_source(&[("CRM_SLA_URGENT", "30, 120")]).ok();
        assert_eq!(s.map(|s| s.sla.targets), Some([(30, 120), (240, 1440), (480, 4320), (1440, 7200)]));
        assert!(Settings::from_source(&[("CRM_SLA_LOW", "10")]).is_err());
        assert!(Settings::from_source(&[("CRM_SLA_LOW", "0,10")]).is_err());
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("sqlite://crm.db"), "sqlite://crm.db");
    }
}
