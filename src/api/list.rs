//! Lists: keyset (cursor) pagination, sorting, search and the filters every
//! resource shares (API.md "Lists").
//!
//! Keyset rather than OFFSET pagination: the cursor carries the sort value
//! and id of the last row, and the next page is `WHERE (sort, id) > (v, id)`,
//! answered from the `(sort, id)` index, so page 1,000 costs what page 1
//! costs, and rows inserted meanwhile do not shift pages.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, IntoCondition};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, ModelTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::record::{RecordEntity, id_of};
use crate::domain::time::parse_instant;
use crate::error::{AppError, AppResult};

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    /// The records of this page.
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
    /// The number of records matching the filters, when `count=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// A list whose text search (`q`) reads some of its fields.
pub trait Searchable {
    /// The fields `q` searches; none when the list has no text search.
    fn search_fields() -> Vec<&'static str>;
}

/// The description of `q` on a list searching `fields`.
pub fn search_description(fields: &[&str]) -> String {
    let quoted: Vec<String> = fields.iter().map(|f| format!("`{f}`")).collect();
    match quoted.as_slice() {
        [] => "This list has no text search: a non-empty `q` is refused (422).".to_string(),
        [one] => format!("Case-insensitive search in {one}; empty means no search."),
        [rest @ .., last] => {
            format!("Case-insensitive search in {} and {last}; empty means no search.", rest.join(", "))
        }
    }
}

/// The query parameters `Q` of a list, documented with the search fields of
/// `S` (`params(Searched<Customers, CustomerListQuery>)`): each list's `q`
/// says what it searches, taken from the list's own `ListSpec`.
pub struct Searched<S, Q>(std::marker::PhantomData<(S, Q)>);

impl<S: Searchable, Q: utoipa::IntoParams> utoipa::IntoParams for Searched<S, Q> {
    fn into_params(
        parameter_in_provider: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        let mut params = Q::into_params(parameter_in_provider);
        for param in params.iter_mut().filter(|param| param.name == "q") {
            param.description = Some(search_description(&S::search_fields()));
        }
        params
    }
}

/// Declares a list's query-parameter struct: the parameters every list
/// shares, then the resource's own filters.
#[macro_export]
macro_rules! list_query {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams, validator::Validate)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Page size, 1 to 500.
            #[param(minimum = 1, maximum = 500, default = 50)]
            #[validate(range(min = 1, max = 500))]
            pub limit: Option<u64>,
            /// The `next_cursor` of the previous page. Keep the other parameters unchanged while paging.
            pub cursor: Option<String>,
            /// Sort field, `-` in front for descending (e.g. `-created_at`). Default `-created_at`, or `updated_at` when `updated_since` is given. Ties are broken by `id`.
            pub sort: Option<String>,
            /// Case-insensitive text search; the fields searched are the list's own (see each list). Empty means no search.
            #[param(max_length = 200)]
            #[validate(length(max = 200))]
            pub q: Option<String>,
            /// Only records created at or after this instant (RFC 3339, or `YYYY-MM-DD`: midnight in the organization's time zone).
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub created_from: Option<String>,
            /// Only records created before this instant (RFC 3339, or `YYYY-MM-DD`: midnight in the organization's time zone).
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub created_to: Option<String>,
            /// Only records changed (or deleted) at or after this instant, for incremental sync.
            #[param(schema_with = $crate::api::fields::instant_schema)]
            pub updated_since: Option<String>,
            /// Include soft-deleted records (tombstones, with `deleted_at` set).
            pub include_deleted: Option<bool>,
            /// Add `total`, the number of matching records.
            pub count: Option<bool>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $crate::api::list::CommonParams for $name {
            fn common(&self, calendar: &$crate::calendar::Calendar) -> $crate::error::AppResult<$crate::api::list::ListCommon> {
                $crate::api::list::ListCommon::parse(
                    calendar,
                    self.limit,
                    self.cursor.as_deref(),
                    self.sort.as_deref(),
                    self.q.as_deref(),
                    self.created_from.as_deref(),
                    self.created_to.as_deref(),
                    self.updated_since.as_deref(),
                    self.include_deleted,
                    self.count,
                )
            }
        }
    };
}

/// Lists' shared parameters, implemented by `list_query!`.
pub trait CommonParams {
    /// Dates in them are local midnights on `calendar`.
    fn common(&self, calendar: &crate::calendar::Calendar) -> AppResult<ListCommon>;
}

/// The shared list parameters, parsed.
#[derive(Debug, Clone)]
pub struct ListCommon {
    pub limit: u64,
    pub cursor: Option<String>,
    pub sort: Option<String>,
    pub q: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_since: Option<DateTime<Utc>>,
    pub include_deleted: bool,
    pub count: bool,
}

impl ListCommon {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        calendar: &crate::calendar::Calendar,
        limit: Option<u64>,
        cursor: Option<&str>,
        sort: Option<&str>,
        q: Option<&str>,
        created_from: Option<&str>,
        created_to: Option<&str>,
        updated_since: Option<&str>,
        include_deleted: Option<bool>,
        count: Option<bool>,
    ) -> AppResult<Self> {
        let common = ListCommon {
            limit: limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
            cursor: cursor.map(str::to_owned),
            sort: sort.map(str::to_owned),
            q: q.map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned),
            created_from: calendar.instant_param("created_from", created_from)?,
            created_to: calendar.instant_param("created_to", created_to)?,
            updated_since: calendar.instant_param("updated_since", updated_since)?,
            include_deleted: include_deleted.unwrap_or(false),
            count: count.unwrap_or(false),
        };
        if let (Some(from), Some(to)) = (common.created_from, common.created_to)
            && from >= to
        {
            return Err(AppError::validation("created_to", "range", "must be later than created_from"));
        }
        Ok(common)
    }
}

/// How a sortable field's values are compared and carried in a cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKind {
    Time,
    Text,
}

/// What a resource's list allows: the fields it sorts by besides
/// `created_at` and `updated_at`, and the columns `q` searches. The shared
/// filters use the record columns of `E`.
pub struct ListSpec<E: RecordEntity> {
    pub sortable: &'static [(&'static str, SortKind, E::Column)],
    pub search: &'static [E::Column],
}

impl<E: RecordEntity> ListSpec<E> {
    /// The names of the fields `q` searches.
    pub fn search_fields(&self) -> Vec<&'static str> {
        use sea_orm::IdenStatic;
        self.search.iter().map(|column| column.as_str()).collect()
    }

    fn sort_field(&self, name: &str) -> Option<(SortKind, E::Column)> {
        match name {
            "created_at" => Some((SortKind::Time, E::CREATED_AT)),
            "updated_at" => Some((SortKind::Time, E::UPDATED_AT)),
            _ => self.sortable.iter().find(|(n, _, _)| *n == name).map(|(_, kind, column)| (*kind, *column)),
        }
    }

    fn sort_names(&self) -> Vec<&'static str> {
        ["created_at", "updated_at"].into_iter().chain(self.sortable.iter().map(|(n, _, _)| *n)).collect()
    }
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    /// The sort the cursor was made for.
    s: String,
    /// The last row's sort value.
    v: String,
    /// The last row's id.
    id: Uuid,
}

/// The value of a sort column in a row, as a cursor carries it.
fn cursor_value(value: sea_orm::Value) -> String {
    match value {
        sea_orm::Value::String(Some(text)) => text,
        sea_orm::Value::ChronoDateTimeUtc(Some(time)) => time_value(&time),
        _ => String::new(),
    }
}

fn invalid_cursor() -> AppError {
    AppError::validation(
        "cursor",
        "invalid_value",
        "is not a cursor of this list with this sort; start again without it",
    )
}

fn escape_like(q: &str) -> String {
    let mut out = String::with_capacity(q.len() + 2);
    out.push('%');
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Runs a list query: shared filters, optional total, cursor, sort, limit.
pub async fn fetch_page<E>(
    db: &impl ConnectionTrait,
    mut select: Select<E>,
    common: &ListCommon,
    spec: &ListSpec<E>,
) -> AppResult<(Vec<E::Model>, Option<String>, Option<u64>)>
where
    E: RecordEntity,
    E::Model: Sync,
{
    if !common.include_deleted {
        select = select.filter(E::DELETED_AT.is_null());
    }
    if let Some(from) = common.created_from {
        select = select.filter(E::CREATED_AT.gte(from));
    }
    if let Some(to) = common.created_to {
        select = select.filter(E::CREATED_AT.lt(to));
    }
    if let Some(since) = common.updated_since {
        select = select.filter(E::UPDATED_AT.gte(since));
    }
    if let Some(q) = &common.q {
        if spec.search.is_empty() {
            return Err(AppError::validation("q", "unsupported", "this list has no text search"));
        }
        let pattern = escape_like(q);
        let mut any = Condition::any();
        for column in spec.search {
            any = any.add(
                Expr::expr(Func::lower(Expr::col(column.as_column_ref())))
                    .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        select = select.filter(any);
    }

    let total = if common.count { Some(select.clone().count(db).await?) } else { None };

    let default_sort = if common.updated_since.is_some() { "updated_at" } else { "-created_at" };
    let sort = common.sort.clone().unwrap_or_else(|| default_sort.to_string());
    let (descending, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort.strip_prefix('+').unwrap_or(&sort)),
    };
    let Some((kind, column)) = spec.sort_field(field) else {
        return Err(AppError::validation(
            "sort",
            "invalid_value",
            format!("must be one of {} (with an optional `-` prefix)", spec.sort_names().join(", ")),
        ));
    };

    if let Some(token) = &common.cursor {
        let cursor: Cursor = URL_SAFE_NO_PAD
            .decode(token)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(invalid_cursor)?;
        if cursor.s != sort {
            return Err(invalid_cursor());
        }
        // `column ≤ v AND (column < v OR (column = v AND id < cursor))` for a
        // descending sort: the redundant bound lets both databases start
        // the index scan at the cursor, so page 1,000 costs what page 1 does
        // (the OR alone made them walk every earlier row).
        let after = |value: sea_orm::Value| -> Condition {
            let (bound, beyond, tie) = if descending {
                (column.lte(value.clone()), column.lt(value.clone()), E::ID.lt(cursor.id))
            } else {
                (column.gte(value.clone()), column.gt(value.clone()), E::ID.gt(cursor.id))
            };
            let rest = Condition::any().add(beyond).add(Condition::all().add(column.eq(value)).add(tie));
            Condition::all().add(bound).add(rest).into_condition()
        };
        let condition = match kind {
            SortKind::Time => after(parse_instant(&cursor.v).ok_or_else(invalid_cursor)?.into()),
            SortKind::Text => after(cursor.v.clone().into()),
        };
        select = select.filter(condition);
    }

    let order = if descending { Order::Desc } else { Order::Asc };
    let mut rows =
        select.order_by(column, order.clone()).order_by(E::ID, order).limit(common.limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > common.limit {
        rows.truncate(common.limit as usize);
        rows.last().map(|last| {
            let cursor = Cursor { s: sort.clone(), v: cursor_value(last.get(column)), id: id_of::<E>(last) };
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
        })
    } else {
        None
    };
    Ok((rows, next_cursor, total))
}

/// Formats a timestamp for a cursor with full precision.
pub fn time_value(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
