//! Exports: `GET /api/v1/{resource}/export?format=csv|xlsx` with the
//! list's own filters, sort and search — every matching record the caller
//! may see, one column per field of the record (nested values as JSON
//! text). CSV is streamed a page (500 rows) at a time, so memory does not
//! grow with the row count; XLSX is written row by row to a constant-memory
//! sheet (spilled to a temporary file) and sent when complete. Instants
//! are written with the organization's offset, and dates in the filters
//! are its local midnights. Every export is recorded in the audit log: who
//! took which list, how filtered.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use sea_orm::Condition;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use validator::Validate;

use super::extract::parse_query;
use super::resource::{Resource, list_where};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Rows read per page.
const PAGE: usize = 500;

/// The file format of an export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

/// The export's own parameter (the list's filters apply too).
#[derive(Debug, Deserialize, IntoParams, Validate)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (default) or `xlsx`; else from `Accept`.
    pub format: Option<ExportFormat>,
}

/// The columns: the record's fields, in the order of its schema.
fn columns<R: Resource>(first: Option<&Value>) -> Vec<String>
where
    R::Dto: utoipa::ToSchema,
{
    use utoipa::openapi::{RefOr, Schema};
    if let RefOr::T(Schema::Object(object)) = <R::Dto as utoipa::PartialSchema>::schema() {
        return object.properties.keys().cloned().collect();
    }
    first.and_then(Value::as_object).map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// The fields of `R`'s records that are instants (`format: date-time`).
fn instant_columns<R: Resource>() -> Vec<String>
where
    R::Dto: utoipa::ToSchema,
{
    use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
    use utoipa::openapi::{RefOr, Schema};
    fn is_instant(schema: &RefOr<Schema>) -> bool {
        match schema {
            RefOr::T(Schema::Object(object)) => {
                matches!(object.format, Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            }
            RefOr::T(Schema::OneOf(one_of)) => one_of.items.iter().any(is_instant),
            RefOr::T(Schema::AllOf(all_of)) => all_of.items.iter().any(is_instant),
            _ => false,
        }
    }
    match <R::Dto as utoipa::PartialSchema>::schema() {
        RefOr::T(Schema::Object(object)) => {
            object.properties.iter().filter(|(_, schema)| is_instant(schema)).map(|(name, _)| name.clone()).collect()
        }
        _ => vec![],
    }
}

/// Writes the instants of `rows` with the organization's offset
/// (`2026-04-01T00:00:00+08:00`): the same instants, read as the
/// organization's wall clock in a spreadsheet.
fn localize(rows: &mut [Value], instants: &[String], calendar: &Calendar) {
    for row in rows.iter_mut().filter_map(Value::as_object_mut) {
        for column in instants {
            let Some(Value::String(text)) = row.get_mut(column) else { continue };
            if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
                *text = calendar.show(at.with_timezone(&chrono::Utc)).to_string();
            }
        }
    }
}

/// A cell's text: strings as they are, `null` empty, objects and arrays as JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// The list query of one page: the request's parameters without the
/// export's own and the paging ones, plus `limit` and `cursor`.
fn page_query(base: &str, cursor: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(base.as_bytes())
        .filter(|(key, _)| !matches!(key.as_ref(), "format" | "cursor" | "limit" | "count"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.push(("limit".into(), PAGE.to_string()));
    if let Some(cursor) = cursor {
        pairs.push(("cursor".into(), cursor.to_string()));
    }
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// One page of the export, its instants on `calendar` (read once per
/// export: every page is on the same calendar).
async fn page<R: Resource>(
    state: &AppState,
    caller: &AuthUser,
    calendar: &Calendar,
    base: &str,
    cursor: Option<&str>,
) -> AppResult<(Vec<Value>, Option<String>)>
where
    R::Dto: utoipa::ToSchema,
{
    let query: R::Query = parse_query(&page_query(base, cursor))?;
    query.validate()?;
    let page = list_where::<R>(&state.db, caller, &query, Condition::all(), calendar).await?;
    let mut rows =
        page.data.iter().map(serde_json::to_value).collect::<Result<Vec<_>, _>>().map_err(AppError::internal)?;
    localize(&mut rows, &instant_columns::<R>(), calendar);
    Ok((rows, page.next_cursor))
}

/// `customers-2026-04-01.csv`, dated the organization's today.
fn attachment(name: &str, extension: &str, calendar: &Calendar) -> header::ContentDisposition {
    let date = calendar.date_of(crate::domain::time::now()).format("%Y-%m-%d");
    super::respond::attachment(format!("{name}-{date}.{extension}"))
}

/// Answers an export of resource `R` (`name` as in its path).
pub async fn export<R: Resource>(
    state: web::Data<AppState>,
    caller: AuthUser,
    request: &HttpRequest,
    name: &'static str,
) -> AppResult<HttpResponse>
where
    R::Dto: utoipa::ToSchema,
{
    let base = request.query_string().to_string();
    let params: ExportParams = parse_query(
        &form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(base.as_bytes()).filter(|(key, _)| key == "format"))
            .finish(),
    )?;
    // The paging parameters do not apply, but a malformed one is still an
    // error (the list's own parsing and validation say which).
    parse_query::<R::Query>(
        &form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(base.as_bytes()).filter(|(key, _)| key != "format"))
            .finish(),
    )?;
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = params.format.unwrap_or(if accept.contains(crate::tabular::XLSX) {
        ExportFormat::Xlsx
    } else {
        ExportFormat::Csv
    });
    // The first page is read before answering, so that bad filters are a
    // 422 rather than a broken download.
    let calendar = crate::calendar::load(&state.db).await?.calendar;
    let (first_rows, first_cursor) = page::<R>(&state, &caller, &calendar, &base, None).await?;
    audit(&state, &caller, name, format, &base).await?;
    let columns = columns::<R>(first_rows.first());
    match format {
        ExportFormat::Csv => {
            let header_line = crate::tabular::csv_line(columns.iter().cloned());
            let to_text = {
                let columns = columns.clone();
                move |rows: &[Value]| -> String {
                    rows.iter().map(|row| crate::tabular::csv_line(columns.iter().map(|c| cell(row.get(c))))).collect()
                }
            };
            let first_chunk = format!("{header_line}{}", to_text(&first_rows));
            let stream = futures_util::stream::unfold(
                (Some(first_chunk), first_cursor, false),
                move |(pending, cursor, done)| {
                    let (state, caller, base, to_text) = (state.clone(), caller.clone(), base.clone(), to_text.clone());
                    async move {
                        if let Some(chunk) = pending {
                            return Some((Ok(web::Bytes::from(chunk)), (None, cursor, done)));
                        }
                        let cursor = cursor.filter(|_| !done)?;
                        match page::<R>(&state, &caller, &calendar, &base, Some(&cursor)).await {
                            Ok((rows, next)) => {
                                let last = next.is_none();
                                Some((Ok(web::Bytes::from(to_text(&rows))), (None, next, last)))
                            }
                            Err(error) => {
                                tracing::error!(%error, "an export stopped");
                                Some((Err(actix_web::Error::from(error)), (None, None, true)))
                            }
                        }
                    }
                },
            );
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header(attachment(name, "csv", &calendar))
                .streaming(stream))
        }
        ExportFormat::Xlsx => {
            let bytes = xlsx::<R>(&state, &caller, &calendar, &base, &columns, first_rows, first_cursor, name).await?;
            Ok(HttpResponse::Ok()
                .content_type(crate::tabular::XLSX)
                .insert_header(attachment(name, "xlsx", &calendar))
                .body(bytes))
        }
    }
}

/// Records who exported which list, in which format and with which
/// filters, in the audit log (record id: the nil UUID, for no one record).
/// A search text is recorded only as given or not: it may name a person,
/// and the audit log keeps it after that person's data is erased.
async fn audit(state: &AppState, caller: &AuthUser, name: &str, format: ExportFormat, query: &str) -> AppResult<()> {
    let mut filters = serde_json::Map::new();
    let mut search = false;
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        match key.as_ref() {
            "q" => search = true,
            "format" | "cursor" | "limit" | "count" => {}
            _ => {
                filters.insert(key.into_owned(), Value::from(value.into_owned()));
            }
        }
    }
    let changes =
        serde_json::json!({"format": format, "filters": filters, "search": search, "api_key": caller.api_key});
    crate::api::audit::service::record(&state.db, name, uuid::Uuid::nil(), "export", Some(caller.id), changes).await
}

/// The most rows a sheet holds (Excel's limit, less the header).
const XLSX_MAX_ROWS: usize = 1_048_575;

#[allow(clippy::too_many_arguments)]
async fn xlsx<R: Resource>(
    state: &AppState,
    caller: &AuthUser,
    calendar: &Calendar,
    base: &str,
    columns: &[String],
    mut rows: Vec<Value>,
    mut cursor: Option<String>,
    name: &str,
) -> AppResult<Vec<u8>>
where
    R::Dto: utoipa::ToSchema,
{
    use crate::tabular::{xlsx_error as fail, xlsx_header};
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet_with_constant_memory().map_err(fail)?;
    sheet.set_name(name).map_err(fail)?;
    xlsx_header(sheet, columns.iter().map(String::as_str))?;
    let mut written = 0usize;
    loop {
        for row in &rows {
            if written == XLSX_MAX_ROWS {
                return Err(AppError::validation(
                    "format",
                    "too_many_rows",
                    "more rows than a sheet holds; export CSV",
                ));
            }
            written += 1;
            for (col, column) in columns.iter().enumerate() {
                match row.get(column) {
                    None | Some(Value::Null) => {}
                    Some(Value::Number(n)) => {
                        sheet.write_number(written as u32, col as u16, n.as_f64().unwrap_or_default()).map_err(fail)?;
                    }
                    Some(Value::Bool(b)) => {
                        sheet.write_boolean(written as u32, col as u16, *b).map_err(fail)?;
                    }
                    other => {
                        sheet.write_string(written as u32, col as u16, cell(other)).map_err(fail)?;
                    }
                }
            }
        }
        let Some(next) = cursor.take() else { break };
        let (more, following) = page::<R>(state, caller, calendar, base, Some(&next)).await?;
        rows = more;
        cursor = following;
    }
    workbook.save_to_buffer().map_err(fail)
}

/// Generates the documented `GET /<resource>/export` handler of a resource
/// (where `actix_web::get` is in scope).
#[macro_export]
macro_rules! export_handler {
    ($handler:ident, $R:ty, $read:ty, $Query:ty, $tag:literal, $path:literal, $name:literal) => {
        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("export_", $name),
            summary = concat!("Export ", $name),
            description = "Every record the list would return with these filters, sort and search, as CSV (streamed; one column per field, nested values as JSON) or XLSX (one sheet, header row). `cursor`, `limit` and `count` do not apply. Each export is recorded in the audit log (action `export`, record id the nil UUID, with the format and filters; a search text only as `search: true`).",
            params($crate::api::export::ExportParams, $crate::api::list::Searched<$R, $Query>),
            responses((status = 200, description = "The file, as an attachment.", content(
                (String = "text/csv"),
                ($crate::tabular::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            ))),
            security(("bearer" = []))
        )]
        #[get($path)]
        pub async fn $handler(
            auth: $crate::auth::Authorized<$read>,
            state: actix_web::web::Data<$crate::state::AppState>,
            request: actix_web::HttpRequest,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::api::export::export::<$R>(state, auth.user.clone(), &request, $name).await
        }
    };
}
