//! Privacy requests about a customer (the right of access and the right to
//! erasure): `GET /customers/{id}/export` returns everything held about a
//! customer; `POST /customers/{id}/erase` anonymizes the personal data of
//! the customer, its contacts, its leads and the free text written about
//! it, and keeps the anonymous sales facts, so that every statistic stays
//! as it was. Both are for administrators, and both are audited.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::activities::dto::Activity;
use super::activities::service::Activities;
use super::audit::dto::AuditEntry;
use super::contacts::dto::Contact;
use super::contacts::service::Contacts;
use super::customers::dto::Customer;
use super::customers::service::Customers;
use super::extract::Query;
use super::feedback::dto::Feedback;
use super::feedback::service::FeedbackResource;
use super::leads::dto::Lead;
use super::leads::service::Leads;
use super::opportunities::dto::Opportunity;
use super::opportunities::service::Opportunities;
use super::orders::dto::Order;
use super::orders::service::Orders;
use super::record::RecordEntity;
use super::resource::{Model, Resource};
use super::tasks::dto::Task;
use super::tasks::service::Tasks;
use super::tickets::dto::Ticket;
use super::tickets::service::Tickets;
use crate::auth::Authorized;
use crate::auth::policy::AdminOnly;
use crate::domain::time::now;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use entity::{activity, audit_log, contact, customer, feedback, lead, opportunity, order, task, ticket};

/// Everything held about a customer.
#[derive(Serialize, ToSchema)]
pub struct CustomerDataExport {
    pub exported_at: DateTime<Utc>,
    pub customer: Customer,
    pub contacts: Vec<Contact>,
    /// Leads converted into this customer.
    pub leads: Vec<Lead>,
    /// With their items.
    pub orders: Vec<Order>,
    /// With their stage history.
    pub opportunities: Vec<Opportunity>,
    pub activities: Vec<Activity>,
    pub tickets: Vec<Ticket>,
    pub feedback: Vec<Feedback>,
    /// Tasks about the customer.
    pub tasks: Vec<Task>,
    /// The change history of the customer, its contacts and its leads.
    pub audit: Vec<AuditEntry>,
}

/// The records of `R` matching `condition`, deleted ones included, oldest
/// first, in their API form.
async fn all<R: Resource>(db: &impl ConnectionTrait, condition: Condition) -> AppResult<Vec<R::Dto>>
where
    Model<R>: Sync + Send + Clone,
{
    let rows = R::Entity::find()
        .filter(condition)
        .order_by_asc(<R::Entity as RecordEntity>::ID)
        .limit(100_000)
        .all(db)
        .await?;
    R::to_dtos(db, rows).await
}

async fn ids<E: RecordEntity>(db: &impl ConnectionTrait, condition: Condition) -> AppResult<Vec<Uuid>> {
    Ok(E::find().select_only().column(E::ID).filter(condition).into_tuple::<Uuid>().all(db).await?)
}

async fn existing(db: &impl ConnectionTrait, id: Uuid) -> AppResult<customer::Model> {
    customer::Entity::find_by_id(id).one(db).await?.ok_or_else(|| AppError::not_found("customer"))
}

/// Export a customer's data
///
/// Everything held about the customer, deleted records included: the
/// customer, its contacts, the leads converted into it, its orders (with
/// items), opportunities (with stage history), activities, tickets,
/// feedback, the tasks about it, and the change history of the customer,
/// its contacts and leads. For answering a data subject's access request;
/// the export itself is audited.
#[utoipa::path(
    tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's id.")),
    responses((status = 200, description = "Everything held about the customer.", body = CustomerDataExport)),
    security(("bearer" = []))
)]
#[get("/customers/{id}/export")]
pub async fn export_customer(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let db = &state.db;
    let found = existing(db, id).await?;
    let contacts = ids::<contact::Entity>(db, Condition::all().add(contact::Column::CustomerId.eq(id))).await?;
    let leads = ids::<lead::Entity>(db, Condition::all().add(lead::Column::ConvertedCustomerId.eq(id))).await?;
    let personal: Vec<Uuid> =
        std::iter::once(id).chain(contacts.iter().copied()).chain(leads.iter().copied()).collect();
    let audit = audit_log::Entity::find()
        .filter(audit_log::Column::RecordId.is_in(personal))
        .order_by_asc(audit_log::Column::At)
        .order_by_asc(audit_log::Column::Id)
        .all(db)
        .await?;
    let export = CustomerDataExport {
        exported_at: now(),
        customer: Customers::to_dtos(db, vec![found])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| AppError::not_found("customer"))?,
        contacts: all::<Contacts>(db, Condition::all().add(contact::Column::CustomerId.eq(id))).await?,
        leads: all::<Leads>(db, Condition::all().add(lead::Column::ConvertedCustomerId.eq(id))).await?,
        orders: all::<Orders>(db, Condition::all().add(order::Column::CustomerId.eq(id))).await?,
        opportunities: all::<Opportunities>(db, Condition::all().add(opportunity::Column::CustomerId.eq(id))).await?,
        activities: all::<Activities>(db, Condition::all().add(activity::Column::CustomerId.eq(id))).await?,
        tickets: all::<Tickets>(db, Condition::all().add(ticket::Column::CustomerId.eq(id))).await?,
        feedback: all::<FeedbackResource>(db, Condition::all().add(feedback::Column::CustomerId.eq(id))).await?,
        tasks: all::<Tasks>(
            db,
            Condition::all().add(task::Column::RelatedType.eq("customer")).add(task::Column::RelatedId.eq(id)),
        )
        .await?,
        audit: audit.into_iter().map(AuditEntry::from).collect(),
    };
    crate::api::audit::service::record(db, "customers", id, "export", Some(auth.id), json!({"exported": true})).await?;
    let name = format!("customer-{id}.json");
    Ok(HttpResponse::Ok().insert_header(super::respond::attachment(name)).json(export))
}

/// Options of an erasure.
#[derive(Debug, Default, Deserialize, IntoParams, validator::Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EraseQuery {
    /// Keep the attributes statistics group customers by that could
    /// describe a person (gender, birth date, occupation), so that every
    /// statistic stays as it was (default `true`). `false` clears them too;
    /// the customer then counts as "unknown" in those distributions.
    pub keep_demographics: Option<bool>,
}

/// What an erasure changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureReport {
    pub customer_id: Uuid,
    pub erased_at: DateTime<Utc>,
    /// Contacts anonymized.
    pub contacts: u64,
    /// Converted leads anonymized.
    pub leads: u64,
    /// Activities, tickets and feedback whose free text was removed.
    pub activities: u64,
    pub tickets: u64,
    pub feedback: u64,
    /// Change-history entries whose recorded values were removed.
    pub audit_entries: u64,
    /// Webhook deliveries whose payload was removed.
    pub webhook_deliveries: u64,
    /// Kept first answers to `Idempotency-Key` requests (24 hours) that
    /// mentioned these records: a retry now gets a 409 instead of them.
    pub idempotent_answers: u64,
    pub demographics_kept: bool,
}

/// The last 8 hex digits of an id, to tell erased records apart.
fn tag(id: Uuid) -> String {
    let text = id.simple().to_string();
    text[text.len() - 8..].to_string()
}

/// Sets `values` on the records of `E` matching `condition`, with a new
/// version and change time (so that sync clients fetch the anonymized
/// record); answers their ids.
async fn scrub<E: RecordEntity>(
    db: &impl ConnectionTrait,
    condition: Condition,
    values: Vec<(E::Column, sea_orm::sea_query::SimpleExpr)>,
    at: DateTime<Utc>,
) -> AppResult<Vec<Uuid>> {
    let changed = ids::<E>(db, condition.clone()).await?;
    let mut update = E::update_many().filter(condition);
    for (column, value) in values {
        update = update.col_expr(column, value);
    }
    update.col_expr(E::VERSION, Expr::col(E::VERSION).add(1)).col_expr(E::UPDATED_AT, Expr::value(at)).exec(db).await?;
    Ok(changed)
}

fn null() -> sea_orm::sea_query::SimpleExpr {
    Expr::value(sea_orm::Value::String(None))
}

/// Erase a customer's personal data
///
/// Anonymizes, in one transaction: the customer (name replaced by
/// `Erased customer <tag>`; phone, email, address and tags removed), its
/// contacts (name replaced; title, phone and email removed), the leads
/// converted into it (name replaced; company, email and phone removed), the
/// free text of its activities, tickets and feedback, the values recorded
/// in the change history of all of these, the payloads of webhook
/// deliveries about them, and the kept answers to `Idempotency-Key`
/// requests that mention them (a retry of one gets a 409 instead). Kept: ids, owners, dates, amounts, statuses,
/// stages, kind, industry, city, region, country, source, segment and
/// lifecycle stage, and (unless `keep_demographics=false`) gender, birth
/// date and occupation: every statistic stays as it was. Each changed record
/// gets a new version, so sync clients fetch the anonymized form. The
/// erasure is recorded in the audit log (without personal data) and cannot
/// be undone; erasing again is harmless.
#[utoipa::path(
    tag = "customers",
    params(("id" = Uuid, Path, description = "The customer's id."), EraseQuery),
    responses((status = 200, description = "What was anonymized.", body = ErasureReport)),
    security(("bearer" = []))
)]
#[post("/customers/{id}/erase")]
pub async fn erase_customer(
    auth: Authorized<AdminOnly>,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: Query<EraseQuery>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let keep_demographics = query.0.keep_demographics.unwrap_or(true);
    let txn = crate::db::begin_write(&state.db).await?;
    existing(&txn, id).await?;
    let at = now();
    let text = |value: String| Expr::value(value);

    let mut customer_values = vec![
        (customer::Column::Name, text(format!("Erased customer {}", tag(id)))),
        (customer::Column::Phone, null()),
        (customer::Column::PhoneDigits, null()),
        (customer::Column::Email, null()),
        (customer::Column::Address, null()),
        (customer::Column::Tags, text("[]".into())),
    ];
    if !keep_demographics {
        customer_values.extend([
            (customer::Column::Gender, null()),
            (customer::Column::BirthDate, Expr::value(sea_orm::Value::ChronoDate(None))),
            (customer::Column::Occupation, null()),
        ]);
    }
    scrub::<customer::Entity>(&txn, Condition::all().add(customer::Column::Id.eq(id)), customer_values, at).await?;
    let contacts = scrub::<contact::Entity>(
        &txn,
        Condition::all().add(contact::Column::CustomerId.eq(id)),
        vec![
            (contact::Column::Name, text("Erased contact".into())),
            (contact::Column::Title, null()),
            (contact::Column::Phone, null()),
            (contact::Column::Email, null()),
        ],
        at,
    )
    .await?;
    let leads = scrub::<lead::Entity>(
        &txn,
        Condition::all().add(lead::Column::ConvertedCustomerId.eq(id)),
        vec![
            (lead::Column::Name, text("Erased lead".into())),
            (lead::Column::Company, null()),
            (lead::Column::Email, null()),
            (lead::Column::Phone, null()),
        ],
        at,
    )
    .await?;
    let activities = scrub::<activity::Entity>(
        &txn,
        Condition::all().add(activity::Column::CustomerId.eq(id)),
        vec![(activity::Column::Subject, text("(erased)".into())), (activity::Column::Outcome, null())],
        at,
    )
    .await?;
    let tickets = scrub::<ticket::Entity>(
        &txn,
        Condition::all().add(ticket::Column::CustomerId.eq(id)),
        vec![
            (ticket::Column::Subject, text("(erased)".into())),
            (ticket::Column::Description, null()),
            (ticket::Column::SatisfactionComment, null()),
        ],
        at,
    )
    .await?;
    let feedback = scrub::<feedback::Entity>(
        &txn,
        Condition::all().add(feedback::Column::CustomerId.eq(id)),
        vec![(feedback::Column::Comment, null())],
        at,
    )
    .await?;

    // The history and the webhook payloads of every record touched.
    let touched: Vec<Uuid> = [&contacts, &leads, &activities, &tickets, &feedback]
        .into_iter()
        .flatten()
        .copied()
        .chain(std::iter::once(id))
        .collect();
    let mut audit_entries = 0;
    let mut webhook_deliveries = 0;
    let mut idempotent_answers = 0;
    for chunk in touched.chunks(500) {
        audit_entries += audit_log::Entity::update_many()
            .col_expr(audit_log::Column::Changes, Expr::value(r#"{"erased":true}"#))
            .filter(audit_log::Column::RecordId.is_in(chunk.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected;
    }
    for record in &touched {
        let statement = crate::db::statement(
            txn.get_database_backend(),
            "UPDATE webhook_deliveries SET payload = $1 WHERE payload LIKE $2",
            vec![json!({"erased": true}).to_string().into(), format!("%{record}%").into()],
        );
        webhook_deliveries += txn.execute_raw(statement).await?.rows_affected();
        idempotent_answers += crate::idempotency::forget_answers_about(&txn, *record).await?;
    }

    let report = ErasureReport {
        customer_id: id,
        erased_at: at,
        contacts: contacts.len() as u64,
        leads: leads.len() as u64,
        activities: activities.len() as u64,
        tickets: tickets.len() as u64,
        feedback: feedback.len() as u64,
        audit_entries,
        webhook_deliveries,
        idempotent_answers,
        demographics_kept: keep_demographics,
    };
    let summary = serde_json::to_value(&report).map_err(AppError::internal)?;
    crate::api::audit::service::record(&txn, "customers", id, "erase", Some(auth.id), summary).await?;
    txn.commit().await?;
    tracing::info!(customer_id = %id, "customer erased");
    Ok(HttpResponse::Ok().json(report))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export_customer).service(erase_customer);
}
