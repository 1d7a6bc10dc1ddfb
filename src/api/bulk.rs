//! Bulk upsert: `POST /api/v1/{resource}/bulk` with up to 1,000 records,
//! each keyed by its `external_id`. A record whose `external_id` exists is
//! updated like a merge patch (or reported unchanged when nothing differs),
//! any other is created; each record is its own transaction, so a bad
//! record is reported with its field errors and never blocks the others.
//! References may name the other record by its `external_id`
//! (`customer_external_id`, `product_external_id` in order items, ...).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

use super::extract::{Items, from_value};
use super::resource::{self, Model, Resource};
use crate::auth::AuthUser;
use crate::db::statement;
use crate::error::{AppError, AppResult, FieldError};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// The most records one call takes.
pub const MAX_RECORDS: usize = 1000;

/// Records to create or update.
#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// 1 to 1,000 records, each an object with an `external_id` and the fields of a create (for a new record) or of a merge patch (for an existing one). A record that is not an object is reported failed like any other bad record, without blocking the others.
    #[validate(length(min = 1, max = 1000))]
    #[schema(value_type = Vec<serde_json::Value>, min_items = 1, max_items = 1000)]
    pub records: Vec<Value>,
}

/// What happened to one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkStatus {
    Created,
    Updated,
    Unchanged,
    Failed,
}

/// One record's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResult {
    /// The record's position in `records`, from 0.
    pub index: usize,
    pub external_id: Option<String>,
    pub status: BulkStatus,
    /// The record's id (absent when it failed before it existed).
    pub id: Option<Uuid>,
    /// Why it failed, by field (`items[0].quantity`, `customer_external_id`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The outcome of a bulk call.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct BulkResponse {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// One per record, in order.
    pub results: Vec<BulkResult>,
}

/// Fields of a create that an update ignores.
const CREATE_ONLY: &[&str] = &["created_at", "history"];

/// Reference fields that may name the record by `external_id`: the
/// field's stem and the table it points into.
const REFERENCES: &[(&str, &str)] = &[
    ("customer", "customers"),
    ("contact", "contacts"),
    ("product", "products"),
    ("opportunity", "opportunities"),
    ("campaign", "campaigns"),
    ("lead", "leads"),
    ("owner", "users"),
    ("assignee", "users"),
];

fn field_error(field: &str, code: &str, message: impl Into<String>) -> AppError {
    AppError::Validation(vec![FieldError::new(field, code, message)])
}

impl super::extract::HasItems for BulkRequest {
    const ITEMS: &'static str = "records";

    fn item_count(&self) -> usize {
        self.records.len()
    }
}

/// Replaces each `<stem>_external_id` of `object` (and of its `items`)
/// by `<stem>_id`, looked up among the live records; `path` prefixes the
/// field names of the errors, which are collected (every unknown
/// reference named) rather than returned at the first.
async fn resolve_references(
    db: &impl ConnectionTrait,
    object: &mut Map<String, Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    for (stem, table) in REFERENCES {
        let key = format!("{stem}_external_id");
        let Some(value) = object.remove(&key) else { continue };
        let field = format!("{path}{key}");
        if value.is_null() {
            continue;
        }
        let Some(external_id) = value.as_str() else {
            errors.push(FieldError::new(field, "invalid_type", "must be a string"));
            continue;
        };
        if object.contains_key(&format!("{stem}_id")) {
            errors.push(FieldError::new(field, "conflict", format!("give either {stem}_id or {key}, not both")));
            continue;
        }
        let Some(id) = by_external_id(db, table, external_id).await? else {
            errors.push(FieldError::new(field, "not_found", format!("no {table} record has this external_id")));
            continue;
        };
        object.insert(format!("{stem}_id"), Value::String(id.to_string()));
    }
    if let Some(Value::Array(items)) = object.get_mut("items") {
        for (index, item) in items.iter_mut().enumerate() {
            if let Value::Object(item) = item {
                Box::pin(resolve_references(db, item, &format!("{path}items[{index}]."), errors)).await?;
            }
        }
    }
    Ok(())
}

/// The record as `T`, with the errors already found in it (parse problems,
/// unknown references) named together with its own.
fn decode_record<T: serde::de::DeserializeOwned + Validate>(
    record: Value,
    problems: Vec<FieldError>,
    references: Vec<FieldError>,
) -> AppResult<T> {
    if references.is_empty() {
        return from_value(record, problems);
    }
    // A reference that was not found leaves its `<stem>_id` out: that the
    // id is then required says nothing new.
    let unresolved: Vec<String> = references
        .iter()
        .filter_map(|e| e.field.strip_suffix("_external_id").map(|stem| format!("{stem}_id")))
        .collect();
    let mut errors = match from_value::<T>(record, problems) {
        Ok(_) => Vec::new(),
        Err(AppError::Validation(errors)) => errors,
        Err(other) => return Err(other),
    };
    errors.retain(|e| !(e.code == "required" && unresolved.contains(&e.field)));
    errors.extend(references);
    super::validation::sort_field_errors(&mut errors);
    Err(AppError::Validation(errors))
}

/// How one record is written.
#[derive(Clone, Copy, Debug)]
pub enum Write {
    /// Update the live record with the record's `external_id`, else create.
    ByExternalId,
    /// Create.
    Create,
    /// Update this record (a duplicate found by an import).
    Update(Uuid),
}

/// The id of the live record of `table` with `external_id`, if any.
pub async fn by_external_id(db: &impl ConnectionTrait, table: &str, external_id: &str) -> AppResult<Option<Uuid>> {
    let row = db
        .query_one_raw(statement(
            db.get_database_backend(),
            &format!("SELECT id FROM {table} WHERE external_id = $1 AND deleted_at IS NULL"),
            vec![external_id.into()],
        ))
        .await?;
    Ok(row.map(|row| row.try_get("", "id")).transpose()?)
}

/// Creates or updates one record (`dry_run`: checks it as far as that
/// goes without writing — its fields and references — and says what
/// would happen). An update that changes nothing writes nothing.
pub async fn write_one<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    table: &str,
    mut record: Value,
    problems: Vec<FieldError>,
    write: Write,
    dry_run: bool,
) -> AppResult<(BulkStatus, Option<Uuid>)> {
    let Value::Object(object) = &mut record else {
        return Err(field_error("body", "invalid_type", "each record must be a JSON object"));
    };
    let mut references = Vec::new();
    resolve_references(db, object, "", &mut references).await?;
    let existing = match write {
        Write::Create => None,
        Write::Update(id) => Some(id),
        Write::ByExternalId => match object.get("external_id").and_then(Value::as_str).map(str::trim) {
            Some(external_id) if !external_id.is_empty() => by_external_id(db, table, external_id).await?,
            _ => None,
        },
    };
    match existing {
        None => {
            let input: R::Create = decode_record(record, problems, references)?;
            if dry_run {
                return Ok((BulkStatus::Created, None));
            }
            let (id, _, _) = resource::create::<R>(db, caller, input).await?;
            Ok((BulkStatus::Created, Some(id)))
        }
        Some(id) => {
            if resource::find::<R>(db, caller, id).await?.is_none() {
                return Err(field_error("external_id", "taken", "a record you may not see has this external_id"));
            }
            // What only a creation sets (historic creation times, an
            // opportunity's initial history) does not apply to an update.
            for field in CREATE_ONLY {
                object.remove(*field);
            }
            let patch: R::Update = decode_record(record, problems, references)?;
            if dry_run {
                return Ok((BulkStatus::Updated, Some(id)));
            }
            let changed = resource::change_if_any::<R>(db, caller, id, "update", async |txn, current: &Model<R>| {
                R::update(txn, caller, current, patch).await
            })
            .await?;
            Ok((if changed { BulkStatus::Updated } else { BulkStatus::Unchanged }, Some(id)))
        }
    }
}

/// Creates or updates one bulk record, which must have an `external_id`.
async fn upsert_one<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    table: &str,
    record: Value,
    problems: Vec<FieldError>,
) -> AppResult<(BulkStatus, Option<Uuid>)> {
    match record.get("external_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => {}
        _ if !record.is_object() => {}
        _ => return Err(field_error("external_id", "required", "every bulk record needs its external_id")),
    }
    write_one::<R>(db, caller, table, record, problems, Write::ByExternalId, false).await
}

/// A failed write as field errors; `None` for a failure of the server
/// (the database), which ends the call.
pub fn record_errors(error: AppError) -> Result<Vec<FieldError>, AppError> {
    match error {
        AppError::Validation(errors) => Ok(errors),
        AppError::Conflict { detail, errors } => {
            Ok(if errors.is_empty() { vec![FieldError::new("body", "conflict", detail)] } else { errors })
        }
        AppError::NotFound(detail) => Ok(vec![FieldError::new("body", "not_found", detail)]),
        // One record changed meanwhile fails alone, never the whole call.
        AppError::PreconditionFailed(detail) => Ok(vec![FieldError::new("body", "changed_meanwhile", detail)]),
        other => Err(other),
    }
}

/// Upserts every record, each on its own; a database failure ends the call.
pub async fn upsert<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    table: &str,
    request: Items<BulkRequest>,
) -> AppResult<BulkResponse> {
    let mut response = BulkResponse::default();
    let records = request.body.records.into_iter().zip(request.problems);
    for (index, (record, problems)) in records.enumerate() {
        let external_id = record.get("external_id").and_then(Value::as_str).map(str::to_owned);
        let (status, id, errors) = match upsert_one::<R>(db, caller, table, record, problems).await {
            Ok((status, id)) => (status, id, vec![]),
            Err(error) => (BulkStatus::Failed, None, record_errors(error)?),
        };
        match status {
            BulkStatus::Created => response.created += 1,
            BulkStatus::Updated => response.updated += 1,
            BulkStatus::Unchanged => response.unchanged += 1,
            BulkStatus::Failed => response.failed += 1,
        }
        response.results.push(BulkResult { index, external_id, status, id, errors });
    }
    Ok(response)
}

/// Generates the documented `POST /<resource>/bulk` handler of a resource
/// as `$handler` (where `actix_web::post` is in scope).
#[macro_export]
macro_rules! bulk_handler {
    ($handler:ident, $R:ty, $write:ty, $tag:literal, $path:literal, $table:literal) => {
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("bulk_upsert_", $table),
            summary = concat!("Create or update ", $table, " in bulk"),
            description = "Up to 1,000 records keyed by `external_id`: an existing one is updated as by a merge patch (or reported `unchanged`), any other created. Each record is its own transaction; a bad record is reported with its field errors and does not block the others. References may be given by the other record's external id (`customer_external_id`, `product_external_id`, `owner_external_id`, ...).",
            request_body = $crate::api::bulk::BulkRequest,
            responses((status = 200, description = "One result per record, in order.", body = $crate::api::bulk::BulkResponse)),
            security(("bearer" = []))
        )]
        #[post($path)]
        pub async fn $handler(
            auth: $crate::auth::Authorized<$write>,
            state: actix_web::web::Data<$crate::state::AppState>,
            body: $crate::api::extract::Items<$crate::api::bulk::BulkRequest>,
        ) -> $crate::error::AppResult<actix_web::web::Json<$crate::api::bulk::BulkResponse>> {
            Ok(actix_web::web::Json($crate::api::bulk::upsert::<$R>(&state.db, &auth, $table, body).await?))
        }
    };
}
