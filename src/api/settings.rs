//! The organization's settings: its calendar (time zone, week start,
//! fiscal year), which every statistic, preset, report and rollup follows
//! (`crate::calendar`). Every signed-in caller reads them; administrators
//! change them, with `If-Match`, audited. Changing the time zone rebuilds
//! the daily rollups on the new local days in the same transaction.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, patch, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::api::audit;
use crate::api::etag::IfMatch;
use crate::api::extract::Json;
use crate::api::patch::required;
use crate::api::respond;
use crate::auth::policy::{AdminOnly, AnyUser};
use crate::auth::{AuthUser, Authorized};
use crate::calendar::{self, FiscalYearLabel, Stored, WeekStart, parse_zone};
use crate::error::AppResult;
use crate::state::AppState;

/// The audit log's record id of the organization (it has one settings row).
pub const ORGANIZATION: Uuid = Uuid::nil();

/// The organization's calendar.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "time_zone": "Asia/Shanghai", "utc_offset": "+08:00", "week_start": "monday",
    "fiscal_year_start_month": 1, "fiscal_year_label": "start_year",
    "version": 2, "updated_at": "2026-01-05T09:30:00Z"
}))]
pub struct OrganizationSettings {
    /// The IANA time zone every date, day, week, month, quarter and year
    /// of the statistics is in: a date `2026-04-01` in a query means
    /// midnight there, and periods start at its local midnights.
    pub time_zone: String,
    /// The zone's offset from UTC now (`+08:00`; it changes with daylight
    /// saving time where the zone has it).
    pub utc_offset: String,
    /// The first day of a week (`monday`: ISO weeks).
    pub week_start: WeekStart,
    /// The month the fiscal year starts in, 1 (January) to 12.
    pub fiscal_year_start_month: u32,
    /// Whether a fiscal year not starting in January is named after the
    /// calendar year it starts in (`start_year`: April 2026 – March 2027 is
    /// FY2026) or ends in (`end_year`: FY2027).
    pub fiscal_year_label: FiscalYearLabel,
    /// Incremented on every change; also the `ETag`.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl From<Stored> for OrganizationSettings {
    fn from(stored: Stored) -> Self {
        let calendar = stored.calendar;
        OrganizationSettings {
            time_zone: calendar.zone.name().to_string(),
            utc_offset: calendar.local(crate::domain::time::now()).format("%:z").to_string(),
            week_start: calendar.week_start,
            fiscal_year_start_month: calendar.fiscal_year_start_month,
            fiscal_year_label: calendar.fiscal_year_label,
            version: stored.version,
            updated_at: stored.updated_at,
        }
    }
}

/// A JSON merge patch of the settings; a field left out is left as it is.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "Asia/Shanghai", "fiscal_year_start_month": 4}))]
pub struct UpdateOrganizationSettings {
    /// An IANA time zone name (`Asia/Shanghai`, `America/New_York`, `UTC`).
    #[serde(default, deserialize_with = "required")]
    #[validate(custom(function = "known_zone"))]
    #[schema(nullable = false, max_length = 64)]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub week_start: Option<WeekStart>,
    #[serde(default, deserialize_with = "required")]
    #[validate(range(min = 1, max = 12))]
    #[schema(nullable = false, minimum = 1, maximum = 12)]
    pub fiscal_year_start_month: Option<u32>,
    #[serde(default, deserialize_with = "required")]
    #[schema(nullable = false)]
    pub fiscal_year_label: Option<FiscalYearLabel>,
}

fn known_zone(name: &str) -> Result<(), ValidationError> {
    if parse_zone(name).is_some() {
        return Ok(());
    }
    let mut error = ValidationError::new("unknown_time_zone");
    error.message = Some("must be an IANA time zone name such as Asia/Shanghai, America/New_York or UTC".into());
    Err(error)
}

fn snapshot(stored: Stored) -> serde_json::Value {
    let mut value = serde_json::to_value(OrganizationSettings::from(stored)).unwrap_or_default();
    // Not a setting: it moves with the clock.
    if let Some(object) = value.as_object_mut() {
        object.remove("utc_offset");
    }
    value
}

/// Applies a patch: the new settings, stored with the next version, and the
/// daily rollups rebuilt on the new local days when the zone changed — in
/// one transaction, so a statistic sees the old calendar and rollups or
/// the new ones (`stats::registry::on_calendar` re-asks one that
/// straddled the change). Order writes wait for it (`calendar::load_for_write`).
pub async fn update(
    db: &sea_orm::DatabaseConnection,
    caller: &AuthUser,
    patch: UpdateOrganizationSettings,
    if_match: &IfMatch,
) -> AppResult<Stored> {
    let txn = crate::db::begin_write(db).await?;
    let current = calendar::load_for_update(&txn).await?;
    if_match.check(current.version)?;
    let mut next = current.calendar;
    if let Some(zone) = patch.time_zone.as_deref().and_then(parse_zone) {
        next.zone = zone;
    }
    if let Some(week_start) = patch.week_start {
        next.week_start = week_start;
    }
    if let Some(month) = patch.fiscal_year_start_month {
        next.fiscal_year_start_month = month;
    }
    if let Some(label) = patch.fiscal_year_label {
        next.fiscal_year_label = label;
    }
    if next == current.calendar {
        return Ok(current);
    }
    let updated = Stored { calendar: next, version: current.version + 1, updated_at: crate::domain::time::now() };
    calendar::store(&txn, &updated.calendar, updated.version, updated.updated_at).await?;
    let zone_changed = next.zone != current.calendar.zone;
    if zone_changed {
        crate::rollup::rebuild_days(&txn, &next).await?;
    }
    let changes = audit::diff(Some(&snapshot(current)), Some(&snapshot(updated)));
    audit::record(&txn, "organization_settings", ORGANIZATION, "update", Some(caller.id), changes).await?;
    txn.commit().await?;
    if zone_changed {
        crate::rollup::tidy_days(db).await?;
    }
    Ok(updated)
}

/// The organization's settings
///
/// Its calendar: the time zone, week start and fiscal year every
/// statistic, range preset, time series bucket, report period and target
/// period is computed on. Every signed-in caller may read it.
#[utoipa::path(
    tag = "settings",
    responses((status = 200, description = "The settings.", body = OrganizationSettings,
        headers(("ETag" = String, description = "The settings' version.")))),
    security(("bearer" = []))
)]
#[get("/settings/organization")]
pub async fn get_organization_settings(
    _auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let stored = calendar::load(&state.db).await?;
    Ok(respond::record(StatusCode::OK, stored.version, None, &OrganizationSettings::from(stored)))
}

/// Change the organization's settings
///
/// A JSON merge patch, administrators only, audited. Statistics asked
/// afterwards are on the new calendar. Changing `time_zone` rebuilds the
/// daily sales rollups on the new local days in the same transaction
/// (seconds per million orders); statistics asked meanwhile answer on the
/// old calendar, and order writes wait for it to finish. Unknown zones
/// and values are 422 naming the field.
#[utoipa::path(
    tag = "settings",
    params(
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is refused with 412."),
    ),
    request_body(content(
        (UpdateOrganizationSettings = "application/merge-patch+json"),
        (UpdateOrganizationSettings = "application/json")
    )),
    responses(
        (status = 200, description = "The settings as changed.", body = OrganizationSettings,
            headers(("ETag" = String, description = "The new version."))),
        (status = 412, description = "`If-Match` does not name the current version.", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/settings/organization")]
pub async fn update_organization_settings(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    if_match: IfMatch,
    body: Json<UpdateOrganizationSettings>,
) -> AppResult<HttpResponse> {
    let stored = update(&state.db, &auth, body.0, &if_match).await?;
    Ok(respond::record(StatusCode::OK, stored.version, None, &OrganizationSettings::from(stored)))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(get_organization_settings).service(update_organization_settings);
}
