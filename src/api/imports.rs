//! CSV import: `POST /api/v1/imports/{customers|products|orders|leads}`
//! with the file as the body (`Content-Type: text/csv`). Columns are
//! matched to fields by their header (or by `mapping`); columns that are no
//! field of a new record (an export's `id`, `version`, ...) are ignored and
//! listed. Each row is written like a bulk record — updated when its
//! `external_id` exists, else created — in its own transaction, and a bad
//! row is reported by row number and field. New customers are checked for
//! duplicates (same email, same phone digits, or same name and city) and
//! `on_duplicate` decides: `skip` (default), `update` the existing one, or
//! `create` anyway. `dry_run=true` checks every row and answers the same
//! report without writing anything.

use actix_web::{HttpRequest, web};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::bulk::{BulkStatus, Write, by_external_id, record_errors, write_one};
use super::resource::Resource;
use crate::auth::AuthUser;
use crate::db::statement;
use crate::error::{AppError, AppResult, FieldError};
use sea_orm::{ConnectionTrait, DatabaseConnection};

/// The most data rows one import takes; a larger file is refused before
/// any row is written (split it).
pub const MAX_ROWS: usize = 100_000;

/// The most rows the report lists under `problems`; beyond them the rows
/// are still counted (`skipped`, `failed`) and `problems_omitted` says how
/// many were not listed.
pub const MAX_PROBLEMS: usize = 1_000;

/// What to do with a new customer that looks like an existing one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    #[default]
    Skip,
    Update,
    Create,
}

/// Parameters of an import.
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check every row and report, without writing anything.
    pub dry_run: Option<bool>,
    /// For customers: what to do with a row that matches an existing customer by email, phone or name and city (default `skip`).
    pub on_duplicate: Option<OnDuplicate>,
    /// Header-to-field pairs for columns not named after their field: `E-mail:email,Town:city`.
    #[validate(length(max = 4000))]
    pub mapping: Option<String>,
}

/// One row that was not simply written.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRow {
    /// The data row, from 1 (the header is row 0).
    pub row: usize,
    pub status: ImportStatus,
    /// The record written or matched.
    pub id: Option<Uuid>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// What happened (or, in a dry run, would happen) to a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    Created,
    Updated,
    Unchanged,
    /// A duplicate of an existing customer, left alone.
    Skipped,
    Failed,
}

/// The import report.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct ImportReport {
    pub resource: String,
    pub dry_run: bool,
    /// Data rows read.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub skipped: usize,
    pub failed: usize,
    /// Columns that are no field of the resource, ignored.
    pub ignored_columns: Vec<String>,
    /// The rows that were skipped or failed, in order: the first 1,000.
    pub problems: Vec<ImportRow>,
    /// Rows skipped or failed beyond the first 1,000, counted but not listed.
    pub problems_omitted: usize,
}

impl ImportReport {
    fn problem(&mut self, row: ImportRow) {
        match row.status {
            ImportStatus::Skipped => self.skipped += 1,
            _ => self.failed += 1,
        }
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(row);
        } else {
            self.problems_omitted += 1;
        }
    }
}

/// The number of data rows, or a 422 past [`MAX_ROWS`]: one pass over the
/// file reusing one record, so memory stays that of the body.
fn count_rows(body: &[u8]) -> AppResult<usize> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(body);
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    // A malformed row is counted and reported by the import itself.
    while reader.read_byte_record(&mut record).unwrap_or(true) {
        rows += 1;
        if rows > MAX_ROWS {
            return Err(AppError::validation(
                "body",
                "too_many_rows",
                format!("an import takes at most {MAX_ROWS} data rows; split the file"),
            ));
        }
    }
    Ok(rows)
}

/// An apostrophe an export put before a would-be formula.
fn undefuse(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}

/// A cell as the JSON value of its field, by the field's schema type.
fn typed(text: &str, kind: Option<&str>) -> Value {
    let text = undefuse(text);
    match kind {
        Some("integer") => text.trim().parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(text)),
        Some("number") => text.trim().parse::<f64>().map(Value::from).unwrap_or_else(|_| Value::from(text)),
        Some("boolean") => match text.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Value::Bool(true),
            "false" | "0" | "no" => Value::Bool(false),
            _ => Value::from(text),
        },
        Some("array") | Some("object") => serde_json::from_str(text).unwrap_or_else(|_| Value::from(text)),
        _ => Value::from(text),
    }
}

/// The fields of a new record of `R` and their JSON types, from its schema.
fn fields<R: Resource>() -> Vec<(String, Option<&'static str>)>
where
    R::Create: utoipa::ToSchema,
{
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    let RefOr::T(Schema::Object(object)) = <R::Create as utoipa::PartialSchema>::schema() else { return vec![] };
    object
        .properties
        .iter()
        .map(|(name, schema)| {
            let kind = match schema {
                RefOr::T(Schema::Object(field)) => match &field.schema_type {
                    SchemaType::Type(Type::Integer) => Some("integer"),
                    SchemaType::Type(Type::Number) => Some("number"),
                    SchemaType::Type(Type::Boolean) => Some("boolean"),
                    SchemaType::Type(Type::Object) => Some("object"),
                    SchemaType::Array(types) if types.contains(&Type::Integer) => Some("integer"),
                    SchemaType::Array(types) if types.contains(&Type::Number) => Some("number"),
                    SchemaType::Array(types) if types.contains(&Type::Boolean) => Some("boolean"),
                    _ => None,
                },
                RefOr::T(Schema::Array(_)) => Some("array"),
                _ => None,
            };
            (name.clone(), kind)
        })
        .collect()
}

/// A new customer's existing look-alike among the customers the caller may
/// see (one out of their scope behaves as absent: it is neither named nor
/// touched): the same email (stored in lower case), the same phone digits,
/// or the same name and city (case aside); three indexed lookups, then the
/// oldest visible match.
async fn duplicate_customer(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    record: &Map<String, Value>,
) -> AppResult<Option<Uuid>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let text =
        |key: &str| record.get(key).and_then(Value::as_str).map(|v| v.trim().to_lowercase()).filter(|v| !v.is_empty());
    let digits = crate::api::fields::phone_digits(record.get("phone").and_then(Value::as_str));
    let (email, name, city) = (text("email"), text("name"), text("city"));
    if email.is_none() && digits.is_none() && (name.is_none() || city.is_none()) {
        return Ok(None);
    }
    let rows = db
        .query_all_raw(statement(
            db.get_database_backend(),
            "SELECT id FROM customers WHERE deleted_at IS NULL AND email = $1 \
             UNION SELECT id FROM customers WHERE deleted_at IS NULL AND phone_digits = $2 \
             UNION SELECT id FROM customers WHERE deleted_at IS NULL \
             AND LOWER(name) = $3 AND LOWER(city) = $4",
            vec![email.into(), digits.into(), name.into(), city.into()],
        ))
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|row| row.try_get("", "id")).collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Ok(None);
    }
    use crate::api::customers::service::Customers;
    use entity::customer::{Column, Entity};
    Ok(Entity::find()
        .filter(Column::Id.is_in(ids))
        .filter(Customers::visible(caller))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .one(db)
        .await?
        .map(|customer| customer.id))
}

/// Imports the CSV `body` into resource `R`.
pub async fn import<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    table: &'static str,
    body: &[u8],
    query: &ImportQuery,
) -> AppResult<ImportReport>
where
    R::Create: utoipa::ToSchema,
{
    let dry_run = query.dry_run.unwrap_or(false);
    let on_duplicate = query.on_duplicate.unwrap_or_default();
    let mut mapping = std::collections::HashMap::new();
    for pair in query.mapping.as_deref().unwrap_or_default().split(',').filter(|p| !p.trim().is_empty()) {
        let (header, field) = pair.split_once(':').ok_or_else(|| {
            AppError::validation("mapping", "invalid", "expected Header:field pairs separated by commas")
        })?;
        mapping.insert(header.trim().to_string(), field.trim().to_string());
    }
    count_rows(body)?;
    let known = fields::<R>();
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| AppError::validation("body", "invalid_csv", format!("the header row cannot be read: {e}")))?
        .clone();
    // Column index → (field, type); references by external id are fields too.
    let mut columns = vec![];
    let mut report = ImportReport { resource: table.to_string(), dry_run, ..ImportReport::default() };
    for (index, header) in headers.iter().enumerate() {
        let header = header.trim().trim_start_matches('\u{feff}');
        let field = mapping.get(header).cloned().unwrap_or_else(|| header.to_string());
        let is_reference = field.ends_with("_external_id");
        match known.iter().find(|(name, _)| *name == field) {
            Some((_, kind)) => columns.push((index, field, *kind)),
            None if is_reference => columns.push((index, field, None)),
            None => report.ignored_columns.push(header.to_string()),
        }
    }
    if columns.is_empty() {
        return Err(AppError::validation(
            "body",
            "no_known_columns",
            format!("no column of the header row is a field of {table} (map headers with `mapping`)"),
        ));
    }
    for (number, row) in reader.records().enumerate() {
        let number = number + 1;
        report.rows += 1;
        // Rows that fail without touching the database never wait: let
        // other work on this thread run now and then.
        if number % 64 == 0 {
            tokio::task::yield_now().await;
        }
        let row = match row {
            Ok(row) => row,
            Err(error) => {
                let problem = FieldError::new("row", "invalid_csv", error.to_string());
                report.problem(ImportRow {
                    row: number,
                    status: ImportStatus::Failed,
                    id: None,
                    errors: vec![problem],
                });
                continue;
            }
        };
        let mut record = Map::new();
        for (index, field, kind) in &columns {
            if let Some(cell) = row.get(*index).filter(|cell| !cell.is_empty()) {
                record.insert(field.clone(), typed(cell, *kind));
            }
        }
        let has_external_id = record.get("external_id").and_then(Value::as_str).is_some_and(|id| !id.trim().is_empty());
        let mut write = Write::ByExternalId;
        let known_by_external_id = match record.get("external_id").and_then(Value::as_str) {
            Some(external_id) if has_external_id => by_external_id(db, table, external_id.trim()).await?.is_some(),
            _ => false,
        };
        let checks_duplicates = table == "customers" && !known_by_external_id && on_duplicate != OnDuplicate::Create;
        if checks_duplicates && let Some(existing) = duplicate_customer(db, caller, &record).await? {
            if on_duplicate == OnDuplicate::Skip {
                report.problem(ImportRow {
                    row: number,
                    status: ImportStatus::Skipped,
                    id: Some(existing),
                    errors: vec![],
                });
                continue;
            }
            write = Write::Update(existing);
        }
        match write_one::<R>(db, caller, table, Value::Object(record), Vec::new(), write, dry_run).await {
            Ok((status, _)) => match status {
                BulkStatus::Created => report.created += 1,
                BulkStatus::Updated => report.updated += 1,
                BulkStatus::Unchanged => report.unchanged += 1,
                BulkStatus::Failed => report.failed += 1,
            },
            Err(error) => {
                let errors = record_errors(error)?;
                report.problem(ImportRow { row: number, status: ImportStatus::Failed, id: None, errors });
            }
        }
    }
    Ok(report)
}

/// The CSV body, within the import limit.
pub async fn read_csv(request: &HttpRequest, payload: web::Payload) -> AppResult<actix_web::web::BytesMut> {
    let kind = request.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !kind.to_ascii_lowercase().starts_with("text/csv") {
        return Err(AppError::UnsupportedMediaType("Send the file as the body with `Content-Type: text/csv`.".into()));
    }
    let mut payload = payload.into_inner();
    super::extract::read_limited(&mut payload, super::limits::IMPORT_BODY_BYTES).await
}

/// Generates the documented `POST /imports/<plural>` handler of a resource
/// as `$handler` (where `actix_web::post` is in scope).
#[macro_export]
macro_rules! import_handler {
    ($handler:ident, $R:ty, $write:ty, $path:literal, $table:literal) => {
        #[utoipa::path(
            tag = "imports",
            operation_id = concat!("import_", $table),
            summary = concat!("Import ", $table, " from CSV"),
            description = "The CSV file is the body (`Content-Type: text/csv`), a header row naming the fields (or `mapping`). Rows with a known `external_id` update that record, others create one; references by external id (`customer_external_id`, ...). Bad rows are reported by row and field and do not stop the others. `dry_run=true` checks without writing.",
            params($crate::api::imports::ImportQuery),
            request_body(content = String, content_type = "text/csv"),
            responses((status = 200, description = "The import report.", body = $crate::api::imports::ImportReport)),
            security(("bearer" = []))
        )]
        #[post($path)]
        pub async fn $handler(
            auth: $crate::auth::Authorized<$write>,
            state: actix_web::web::Data<$crate::state::AppState>,
            query: $crate::api::extract::Query<$crate::api::imports::ImportQuery>,
            request: actix_web::HttpRequest,
            payload: actix_web::web::Payload,
        ) -> $crate::error::AppResult<actix_web::web::Json<$crate::api::imports::ImportReport>> {
            let body = $crate::api::imports::read_csv(&request, payload).await?;
            // Parsing and checking a large file is work for the background
            // runtime, not for this request worker: other requests on it
            // keep their latency.
            let (db, caller, query) = (state.db.clone(), auth.user.clone(), query.0);
            let work = async move { $crate::api::imports::import::<$R>(&db, &caller, $table, &body, &query).await };
            let report = state
                .background
                .spawn(tracing::Instrument::in_current_span(work))
                .await
                .map_err($crate::error::AppError::internal)??;
            Ok(actix_web::web::Json(report))
        }
    };
}
