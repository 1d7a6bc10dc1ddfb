//! The generic CRUD of a CRM record: one implementation of read, list,
//! create, merge-patch and soft delete, with record scope, optimistic
//! concurrency and the audit trail, that each resource plugs its own rules
//! into through the `Resource` trait. `crud_handlers!` generates the
//! documented HTTP handlers on top.

use sea_orm::{Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;
use validator::Validate;

use super::audit;
use super::etag::IfMatch;
use super::list::{CommonParams, ListSpec, Page, fetch_page};
use super::record::{RecordEntity, id_of, soft_delete_guarded, version_of};
use crate::auth::AuthUser;
use crate::calendar::Calendar;
use crate::error::{AppError, AppResult};

pub type Model<R> = <<R as Resource>::Entity as EntityTrait>::Model;

/// The list parameters of a resource: the shared ones and its filters.
pub trait ListQuery<E: EntityTrait>: CommonParams {
    /// Adds the resource's own filters (dates in them are local midnights
    /// on `calendar`).
    fn filter(&self, select: sea_orm::Select<E>, calendar: &Calendar) -> AppResult<sea_orm::Select<E>>;
}

#[allow(async_fn_in_trait)]
pub trait Resource: 'static {
    type Entity: RecordEntity<Model: Sync + Send + Clone>;
    type Dto: Serialize + Send;
    type Create: DeserializeOwned + Validate;
    type Update: DeserializeOwned + Validate;
    type Query: DeserializeOwned + Validate + ListQuery<Self::Entity>;

    /// Singular, for messages ("customer").
    const NAME: &'static str;
    /// Plural, as in the path and the audit log ("customers").
    const PLURAL: &'static str;
    const LIST: ListSpec<Self::Entity>;

    /// The rows the caller may see, as a condition on the query.
    fn visible(caller: &AuthUser) -> Condition;

    /// Validates references and inserts the record (and any children).
    async fn create(db: &impl ConnectionTrait, caller: &AuthUser, input: Self::Create) -> AppResult<Model<Self>>;

    /// Validates and applies a merge patch to `current` (use
    /// `record::update_guarded`).
    async fn update(
        db: &impl ConnectionTrait,
        caller: &AuthUser,
        current: &Model<Self>,
        patch: Self::Update,
    ) -> AppResult<Model<Self>>;

    /// Keeps what depends on a new record consistent, last in its
    /// transaction (after the audit entry, just before the commit): the
    /// place for rows every write of the moment shares, held from here to
    /// the commit.
    async fn after_create(_db: &impl ConnectionTrait, _created: &Model<Self>) -> AppResult<()> {
        Ok(())
    }

    /// Keeps what depends on a changed record consistent (`before` is the
    /// record as it was), last in its transaction like `after_create`.
    async fn after_update(_db: &impl ConnectionTrait, _before: &Model<Self>, _after: &Model<Self>) -> AppResult<()> {
        Ok(())
    }

    /// Refuses a deletion that would leave the data inconsistent.
    async fn before_delete(_db: &impl ConnectionTrait, _caller: &AuthUser, _current: &Model<Self>) -> AppResult<()> {
        Ok(())
    }

    /// Keeps what depends on the record consistent once it is deleted (in
    /// the deletion's transaction).
    async fn after_delete(_db: &impl ConnectionTrait, _current: &Model<Self>) -> AppResult<()> {
        Ok(())
    }

    /// The API form of a page of records (one query for any children).
    async fn to_dtos(db: &impl ConnectionTrait, rows: Vec<Model<Self>>) -> AppResult<Vec<Self::Dto>>;
}

/// The record `id` if it exists, is not deleted and the caller may see it.
impl<R: Resource> super::list::Searchable for R {
    fn search_fields() -> Vec<&'static str> {
        R::LIST.search_fields()
    }
}

pub async fn find<R: Resource>(db: &impl ConnectionTrait, caller: &AuthUser, id: Uuid) -> AppResult<Option<Model<R>>> {
    Ok(R::Entity::find()
        .filter(<R::Entity as RecordEntity>::ID.eq(id))
        .filter(<R::Entity as RecordEntity>::DELETED_AT.is_null())
        .filter(R::visible(caller))
        .one(db)
        .await?)
}

use sea_orm::ColumnTrait;

pub async fn get<R: Resource>(db: &impl ConnectionTrait, caller: &AuthUser, id: Uuid) -> AppResult<Model<R>> {
    find::<R>(db, caller, id).await?.ok_or_else(|| AppError::not_found(R::NAME))
}

/// [`get`] in a write's transaction, holding the row until it commits
/// (PostgreSQL `FOR NO KEY UPDATE`; SQLite's write transaction already
/// holds the database). Two concurrent changes of one record then take
/// turns: the second reads the first's version instead of failing its
/// version guard, so without `If-Match` the last write wins, and with it a
/// stale version is still a 412.
pub async fn get_for_update<R: Resource>(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    id: Uuid,
) -> AppResult<Model<R>> {
    use sea_orm::QuerySelect;
    let mut select = R::Entity::find()
        .filter(<R::Entity as RecordEntity>::ID.eq(id))
        .filter(<R::Entity as RecordEntity>::DELETED_AT.is_null())
        .filter(R::visible(caller));
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        select = select.lock(sea_orm::sea_query::LockType::NoKeyUpdate);
    }
    select.one(db).await?.ok_or_else(|| AppError::not_found(R::NAME))
}

/// A reference from another record (`customer_id`, ...) must name a record
/// the caller can see; otherwise a 422 naming the field.
pub async fn ensure_reference<R: Resource>(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    id: Uuid,
    field: &str,
) -> AppResult<Model<R>> {
    find::<R>(db, caller, id).await?.ok_or_else(|| {
        AppError::validation(field, "not_found", format!("no {} with this id exists, or you may not see it", R::NAME))
    })
}

/// A reference that only has to exist (not deleted), whoever may see it:
/// a service agent opens a ticket for any customer.
pub async fn ensure_exists<R: Resource>(db: &impl ConnectionTrait, id: Uuid, field: &str) -> AppResult<Model<R>> {
    R::Entity::find()
        .filter(<R::Entity as RecordEntity>::ID.eq(id))
        .filter(<R::Entity as RecordEntity>::DELETED_AT.is_null())
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation(field, "not_found", format!("no {} with this id exists", R::NAME)))
}

pub async fn dto<R: Resource>(db: &impl ConnectionTrait, row: Model<R>) -> AppResult<R::Dto> {
    R::to_dtos(db, vec![row]).await?.pop().ok_or_else(|| AppError::internal("record vanished"))
}

pub async fn read<R: Resource>(db: &DatabaseConnection, caller: &AuthUser, id: Uuid) -> AppResult<(i64, R::Dto)> {
    let row = get::<R>(db, caller, id).await?;
    let version = version_of::<R::Entity>(&row);
    Ok((version, dto::<R>(db, row).await?))
}

pub async fn list<R: Resource>(db: &DatabaseConnection, caller: &AuthUser, query: &R::Query) -> AppResult<Page<R::Dto>>
where
    R::Dto: utoipa::ToSchema,
{
    let calendar = crate::calendar::load(db).await?.calendar;
    list_where::<R>(db, caller, query, Condition::all(), &calendar).await
}

/// A list narrowed by `within` as well (a sub-resource's parent), its
/// dates on `calendar`.
pub async fn list_where<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    query: &R::Query,
    within: Condition,
    calendar: &Calendar,
) -> AppResult<Page<R::Dto>>
where
    R::Dto: utoipa::ToSchema,
{
    let common = query.common(calendar)?;
    let select = query.filter(R::Entity::find().filter(R::visible(caller)).filter(within), calendar)?;
    let (rows, next_cursor, total) = fetch_page(db, select, &common, &R::LIST).await?;
    Ok(Page { data: R::to_dtos(db, rows).await?, next_cursor, total })
}

fn to_value<T: Serialize>(value: &T) -> AppResult<Value> {
    serde_json::to_value(value).map_err(AppError::internal)
}

pub async fn create<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    input: R::Create,
) -> AppResult<(Uuid, i64, R::Dto)> {
    let txn = crate::db::begin_write(db).await?;
    let row = R::create(&txn, caller, input).await?;
    let (id, version) = (id_of::<R::Entity>(&row), version_of::<R::Entity>(&row));
    let created = dto::<R>(&txn, row.clone()).await?;
    audit::record(&txn, R::PLURAL, id, "create", Some(caller.id), audit::diff(None, Some(&to_value(&created)?)))
        .await?;
    R::after_create(&txn, &row).await?;
    txn.commit().await?;
    Ok((id, version, created))
}

pub async fn update<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    patch: R::Update,
    if_match: &IfMatch,
) -> AppResult<(i64, R::Dto)> {
    change::<R>(db, caller, id, if_match, "update", async |txn, current| R::update(txn, caller, current, patch).await)
        .await
}

/// Changes record `id` in one transaction: loads it within the caller's
/// scope, checks `If-Match`, applies `apply`, and audits the difference
/// under `action` (`update`, or an action such as `resolve`).
pub async fn change<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    if_match: &IfMatch,
    action: &str,
    apply: impl AsyncFnOnce(&DatabaseTransaction, &Model<R>) -> AppResult<Model<R>>,
) -> AppResult<(i64, R::Dto)> {
    let txn = crate::db::begin_write(db).await?;
    let current = get_for_update::<R>(&txn, caller, id).await?;
    if_match.check(version_of::<R::Entity>(&current))?;
    let (version, dto, _) = apply_change::<R>(txn, caller, id, current, action, true, apply).await?;
    Ok((version, dto))
}

/// Like [`change`] without `If-Match`, but nothing is written when the
/// change leaves the record as it was (no new version, no audit entry);
/// returns whether it changed.
pub async fn change_if_any<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    action: &str,
    apply: impl AsyncFnOnce(&DatabaseTransaction, &Model<R>) -> AppResult<Model<R>>,
) -> AppResult<bool> {
    let txn = crate::db::begin_write(db).await?;
    let current = get_for_update::<R>(&txn, caller, id).await?;
    let (_, _, changed) = apply_change::<R>(txn, caller, id, current, action, false, apply).await?;
    Ok(changed)
}

/// Applies, audits and commits a change to `current` and says whether it
/// changed anything but the bookkeeping; without `keep_unchanged`, such a
/// change is rolled back instead.
async fn apply_change<R: Resource>(
    txn: DatabaseTransaction,
    caller: &AuthUser,
    id: Uuid,
    current: Model<R>,
    action: &str,
    keep_unchanged: bool,
    apply: impl AsyncFnOnce(&DatabaseTransaction, &Model<R>) -> AppResult<Model<R>>,
) -> AppResult<(i64, R::Dto, bool)> {
    let before = to_value(&dto::<R>(&txn, current.clone()).await?)?;
    let row = apply(&txn, &current).await?;
    let version = version_of::<R::Entity>(&row);
    let updated = dto::<R>(&txn, row.clone()).await?;
    let changes = audit::diff(Some(&before), Some(&to_value(&updated)?));
    let changed = changes.as_object().is_some_and(|c| !c.is_empty());
    if !changed && !keep_unchanged {
        txn.rollback().await?;
        return Ok((version, updated, false));
    }
    audit::record(&txn, R::PLURAL, id, action, Some(caller.id), changes).await?;
    R::after_update(&txn, &current, &row).await?;
    txn.commit().await?;
    Ok((version, updated, changed))
}

pub async fn delete<R: Resource>(
    db: &DatabaseConnection,
    caller: &AuthUser,
    id: Uuid,
    if_match: &IfMatch,
) -> AppResult<()> {
    let txn = crate::db::begin_write(db).await?;
    let current = get_for_update::<R>(&txn, caller, id).await?;
    if_match.check(version_of::<R::Entity>(&current))?;
    R::before_delete(&txn, caller, &current).await?;
    let before = to_value(&dto::<R>(&txn, current.clone()).await?)?;
    soft_delete_guarded::<R::Entity>(&txn, id, version_of::<R::Entity>(&current), vec![]).await?;
    R::after_delete(&txn, &current).await?;
    audit::record(&txn, R::PLURAL, id, "delete", Some(caller.id), audit::diff(Some(&before), None)).await?;
    txn.commit().await?;
    Ok(())
}

/// Generates the documented handlers of a resource in the calling module:
/// the five CRUD handlers — `list`, `create`, `get`, `update`, `delete` —
/// and, where given, its export (`GET /<plural>/export`, read policy), bulk
/// upsert (`POST /<plural>/bulk`, write policy) and CSV import
/// (`POST /imports/<plural>`, write policy), and its `actions` (a function
/// registering the resource's other routes, such as `/<plural>/{id}/…`);
/// `configure` registers them all in the order they must be matched, and
/// `ROUTES` says what it has.
#[macro_export]
macro_rules! crud_handlers {
    (
        resource: $R:ident, dto: $Dto:ident, create: $Create:ident, update: $Update:ident, query: $Query:ident,
        read: $read:ident, write: $write:ident,
        tag: $tag:tt, list_path: $list_path:tt, item_path: $item_path:tt,
        singular: $singular:tt, plural: $plural:tt
        $(, export: $export:tt)?
        $(, bulk: $bulk:tt)?
        $(, import: $import:tt)?
        $(, actions: $actions:path)?
        $(,)?
    ) => {
        // The literals utoipa and actix need are the resource's own names.
        const _: () = {
            use $crate::api::resource::{Resource, same_text};
            assert!(same_text(<$R as Resource>::PLURAL, $plural), concat!("crud_handlers!: `", $plural, "` is not the resource's PLURAL"));
            assert!(same_text(<$R as Resource>::NAME, $singular), concat!("crud_handlers!: `", $singular, "` is not the resource's NAME"));
            assert!(same_text($tag, $plural), "crud_handlers!: the tag is the resource's plural");
            assert!(same_text($list_path, concat!("/", $plural)), "crud_handlers!: list_path is /<plural>");
            $(assert!(same_text($export, concat!("/", $plural, "/export")), "crud_handlers!: export is /<plural>/export");)?
            $(assert!(same_text($bulk, concat!("/", $plural, "/bulk")), "crud_handlers!: bulk is /<plural>/bulk");)?
            $(assert!(same_text($import, concat!("/imports/", $plural)), "crud_handlers!: import is /imports/<plural>");)?
            assert!(same_text($item_path, concat!("/", $plural, "/{id}")), "crud_handlers!: item_path is /<plural>/{{id}}");
        };

        pub use crud_routes::configure;

        /// What this resource serves, for the checks over every resource.
        pub const ROUTES: $crate::api::resource::ResourceRoutes = $crate::api::resource::ResourceRoutes {
            plural: $plural,
            name: $singular,
            tag: $tag,
            audit: <$R as $crate::api::resource::Resource>::PLURAL,
            export: $crate::api::resource::given(&[$($export)?]),
            bulk: $crate::api::resource::given(&[$($bulk)?]),
            import: $crate::api::resource::given(&[$($import)?]),
        };

        /// The five CRUD handlers, in a module of their own so that the
        /// route attributes they need are imported here, not into the
        /// module that invokes the macro.
        mod crud_routes {
            use super::*;
            use actix_web::{delete, get, patch, post};

        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("list_", $plural),
            summary = concat!("List ", $plural),
            description = concat!("The ", $plural, " the caller may see, a page at a time (see the list parameters)."),
            params($crate::api::list::Searched<$R, $Query>),
            responses((status = 200, description = "A page of records.", body = $crate::api::list::Page<$Dto>)),
            security(("bearer" = []))
        )]
        #[get($list_path)]
        pub async fn list(
            auth: $crate::auth::Authorized<$read>,
            state: actix_web::web::Data<$crate::state::AppState>,
            query: $crate::api::extract::Query<$Query>,
        ) -> $crate::error::AppResult<actix_web::web::Json<$crate::api::list::Page<$Dto>>> {
            Ok(actix_web::web::Json($crate::api::resource::list::<$R>(&state.db, &auth, &query.0).await?))
        }

        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("create_", $singular),
            summary = concat!("Create a ", $singular),
            request_body = $Create,
            responses(
                (status = 201, description = "The record was created.", body = $Dto,
                    headers(("ETag" = String, description = "The record version."), ("Location" = String, description = "The record's URL."))),
                (status = 409, description = "A unique field (such as `external_id`) is taken.", body = $crate::error::Problem, content_type = "application/problem+json"),
            ),
            security(("bearer" = []))
        )]
        #[post($list_path)]
        pub async fn create(
            auth: $crate::auth::Authorized<$write>,
            state: actix_web::web::Data<$crate::state::AppState>,
            body: $crate::api::extract::Json<$Create>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            let (id, version, dto) = $crate::api::resource::create::<$R>(&state.db, &auth, body.0).await?;
            let location = format!("/api/v1/{}/{id}", $plural);
            Ok($crate::api::respond::record(actix_web::http::StatusCode::CREATED, version, Some(location), &dto))
        }

        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("get_", $singular),
            summary = concat!("Get a ", $singular),
            params(("id" = uuid::Uuid, Path, description = "The record's id.")),
            responses((status = 200, description = "The record.", body = $Dto, headers(("ETag" = String, description = "The record version.")))),
            security(("bearer" = []))
        )]
        #[get($item_path)]
        pub async fn get(
            auth: $crate::auth::Authorized<$read>,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            let (version, dto) = $crate::api::resource::read::<$R>(&state.db, &auth, id.into_inner()).await?;
            Ok($crate::api::respond::record(actix_web::http::StatusCode::OK, version, None, &dto))
        }

        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("update_", $singular),
            summary = concat!("Update a ", $singular),
            description = "A JSON merge patch: absent fields stay, `null` clears an optional field. Send the `ETag` as `If-Match` to refuse the change if the record changed meanwhile.",
            params(
                ("id" = uuid::Uuid, Path, description = "The record's id."),
                ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on; a stale one is refused with 412."),
            ),
            request_body(content(($Update = "application/merge-patch+json"), ($Update = "application/json"))),
            responses(
                (status = 200, description = "The updated record.", body = $Dto, headers(("ETag" = String, description = "The new record version."))),
                (status = 409, description = "A unique field is taken, or the change breaks a rule.", body = $crate::error::Problem, content_type = "application/problem+json"),
                (status = 412, description = "`If-Match` does not name the current version.", body = $crate::error::Problem, content_type = "application/problem+json"),
            ),
            security(("bearer" = []))
        )]
        #[patch($item_path)]
        pub async fn update(
            auth: $crate::auth::Authorized<$write>,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            if_match: $crate::api::etag::IfMatch,
            body: $crate::api::extract::Json<$Update>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            let (version, dto) =
                $crate::api::resource::update::<$R>(&state.db, &auth, id.into_inner(), body.0, &if_match).await?;
            Ok($crate::api::respond::record(actix_web::http::StatusCode::OK, version, None, &dto))
        }

        #[utoipa::path(
            tag = $tag,
            operation_id = concat!("delete_", $singular),
            summary = concat!("Delete a ", $singular),
            description = "A soft delete: the record disappears from reads and lists, and sync clients see its tombstone with `include_deleted=true`.",
            params(
                ("id" = uuid::Uuid, Path, description = "The record's id."),
                ("If-Match" = Option<String>, Header, description = "The `ETag` the deletion is based on; a stale one is refused with 412."),
            ),
            responses(
                (status = 204, description = "The record was deleted."),
                (status = 409, description = "Other records still depend on this one.", body = $crate::error::Problem, content_type = "application/problem+json"),
                (status = 412, description = "`If-Match` does not name the current version.", body = $crate::error::Problem, content_type = "application/problem+json"),
            ),
            security(("bearer" = []))
        )]
        #[delete($item_path)]
        pub async fn delete(
            auth: $crate::auth::Authorized<$write>,
            state: actix_web::web::Data<$crate::state::AppState>,
            id: actix_web::web::Path<uuid::Uuid>,
            if_match: $crate::api::etag::IfMatch,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::api::resource::delete::<$R>(&state.db, &auth, id.into_inner(), &if_match).await?;
            Ok(actix_web::HttpResponse::NoContent().finish())
        }

        $($crate::export_handler!(export, $R, $read, $Query, $tag, $export, $plural);)?
        $($crate::bulk_handler!(bulk, $R, $write, $tag, $bulk, $plural);)?
        $($crate::import_handler!(import, $R, $write, $import, $plural);)?

        /// Registers the handlers (and so documents them). The fixed paths
        /// `/<plural>/export` and `/<plural>/bulk` come first: registered
        /// after `/<plural>/{id}`, they would be taken for an id.
        pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
            $(let _ = $export; cfg.service(export);)?
            $(let _ = $bulk; cfg.service(bulk);)?
            $(let _ = $import; cfg.service(import);)?
            cfg.service(list).service(create).service(get).service(update).service(delete);
            $($actions(cfg);)?
        }
        }
    };
}

/// What a resource serves, as `crud_handlers!` made it: its names, the tag
/// of its operations, the name its changes are audited under, and which of
/// the export, bulk upsert and CSV import it offers.
#[derive(Clone, Copy, Debug)]
pub struct ResourceRoutes {
    pub plural: &'static str,
    pub name: &'static str,
    pub tag: &'static str,
    pub audit: &'static str,
    pub export: bool,
    pub bulk: bool,
    pub import: bool,
}

/// Whether an optional part of `crud_handlers!` was given.
pub const fn given(parts: &[&str]) -> bool {
    !parts.is_empty()
}

/// Whether two texts are equal, in a constant: `crud_handlers!` checks the
/// literals it is given against the `Resource` when the crate compiles.
pub const fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
