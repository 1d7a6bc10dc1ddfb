//! Data quality of the customer base now: completeness, duplicates and
//! staleness.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::customers::{CustomerFilters, push_customer_conditions};
use super::figures::ratio;
use crate::auth::AuthUser;
use crate::domain::time::now;
use crate::error::AppResult;
use crate::sql::{Sql, one_row};

/// Parameters of the data-quality statistics (the current state: no window).
#[derive(Debug, Default, Deserialize, IntoParams, Validate)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QualityQuery {
    /// Only customers owned by this user.
    pub owner_id: Option<Uuid>,
    /// Only customers owned by members of this team.
    pub team_id: Option<Uuid>,
    /// Only customers of this region.
    pub region: Option<String>,
    /// Only customers of this segment.
    pub customer_segment: Option<String>,
}

/// The share of customers with each key field filled (not null, not blank).
#[derive(Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Completeness {
    /// Share of customers with `phone` filled.
    pub phone: Option<f64>,
    /// Share of customers with `email` filled.
    pub email: Option<f64>,
    /// Share of customers with `address` filled.
    pub address: Option<f64>,
    /// Share of customers with `region` filled.
    pub region: Option<f64>,
    /// Industry or occupation.
    pub industry_or_occupation: Option<f64>,
    /// Share of customers with `source` filled.
    pub source: Option<f64>,
    /// Every one of the above.
    pub all: Option<f64>,
}

/// Customers linked as duplicates of each other.
#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateGroup {
    /// The linked customers, ordered by id.
    pub customer_ids: Vec<Uuid>,
}

/// The data quality of the customers in scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct DataQuality {
    pub filters: CustomerFilters,
    /// Customers (not deleted).
    pub customers: i64,
    pub completeness: Completeness,
    /// Σ over duplicate groups of (size − 1).
    pub duplicate_records: i64,
    /// duplicate_records / customers.
    pub duplicate_rate: Option<f64>,
    /// Connected sets of customers sharing a normalized email, phone (its
    /// digits, at least 7) or name and city.
    pub duplicate_groups: Vec<DuplicateGroup>,
    /// Customers not updated in the last 180 days.
    pub stale: i64,
    /// stale / customers.
    pub stale_rate: Option<f64>,
}

const STALE_DAYS: i64 = 180;

fn filled(column: &str) -> String {
    format!("NULLIF(TRIM({column}), '') IS NOT NULL")
}

fn push_customers(sql: &mut Sql, caller: &AuthUser, filters: &CustomerFilters) {
    sql.push(" FROM customers c WHERE c.deleted_at IS NULL");
    push_customer_conditions(sql, caller, filters);
}

pub async fn data_quality(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    query: &QualityQuery,
) -> AppResult<DataQuality> {
    let filters = CustomerFilters {
        owner_id: query.owner_id,
        team_id: query.team_id,
        region: query.region.clone(),
        customer_segment: query.customer_segment.clone(),
    };
    let backend = db.get_database_backend();
    let fields = [
        ("phone", filled("c.phone")),
        ("email", filled("c.email")),
        ("address", filled("c.address")),
        ("region", filled("c.region")),
        ("industry_or_occupation", format!("({} OR {})", filled("c.industry"), filled("c.occupation"))),
        ("source", filled("c.source")),
    ];
    let all = fields.iter().map(|(_, condition)| condition.clone()).collect::<Vec<_>>().join(" AND ");
    let mut sql = Sql::new(backend);
    sql.push("SELECT CAST(COUNT(*) AS BIGINT) AS customers");
    for (name, condition) in fields.iter().chain([("all", all)].iter()) {
        sql.push(&format!(", CAST(COUNT(CASE WHEN {condition} THEN 1 END) AS BIGINT) AS filled_{name}"));
    }
    sql.push(", CAST(COUNT(CASE WHEN c.updated_at < ")
        .bind(now() - Duration::days(STALE_DAYS))
        .push(" THEN 1 END) AS BIGINT) AS stale");
    push_customers(&mut sql, caller, &filters);
    let row = one_row(db, sql).await?;
    let customers: i64 = row.try_get("", "customers")?;
    let share = |name: &str| -> AppResult<Option<f64>> {
        Ok(ratio(row.try_get::<i64>("", &format!("filled_{name}"))?, customers))
    };
    let completeness = Completeness {
        phone: share("phone")?,
        email: share("email")?,
        address: share("address")?,
        region: share("region")?,
        industry_or_occupation: share("industry_or_occupation")?,
        source: share("source")?,
        all: share("all")?,
    };
    let stale: i64 = row.try_get("", "stale")?;

    let groups = duplicate_groups(db, caller, &filters).await?;
    let duplicate_records = groups.iter().map(|g| g.customer_ids.len() as i64 - 1).sum();
    Ok(DataQuality {
        filters,
        customers,
        completeness,
        duplicate_records,
        duplicate_rate: ratio(duplicate_records, customers),
        duplicate_groups: groups,
        stale,
        stale_rate: ratio(stale, customers),
    })
}

/// The connected components of the "same person" graph. The database
/// lists, for each key (normalized email, phone digits, name + city),
/// the customers sharing it with someone else — one row per customer and
/// key, found by a window count, never by pairing records — and the
/// groups are joined here with a union-find: linear in the duplicates, so
/// a thousand records with the same email cost a thousand rows, not the
/// million pairs (and their recursive closure) a self-join would make.
/// The groups come ordered by their smallest id, each sorted.
async fn duplicate_groups(
    db: &impl ConnectionTrait,
    caller: &AuthUser,
    filters: &CustomerFilters,
) -> AppResult<Vec<DuplicateGroup>> {
    // Names compare trimmed, lower-case, with inner runs of spaces collapsed.
    let mut name = "c.name".to_string();
    for _ in 0..4 {
        name = format!("REPLACE({name}, '  ', ' ')");
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(&format!(
        "WITH base AS MATERIALIZED (SELECT c.id, NULLIF(LOWER(TRIM(c.email)), '') AS email, c.phone_digits AS phone, \
         CASE WHEN NULLIF(TRIM(c.city), '') IS NOT NULL THEN LOWER(TRIM({name})) || '|' || LOWER(TRIM(c.city)) END AS name_city"
    ));
    push_customers(&mut sql, caller, filters);
    sql.push(
        ") SELECT id, shared FROM (\
         SELECT id, 'e:' || email AS shared, COUNT(*) OVER (PARTITION BY email) AS n FROM base WHERE email IS NOT NULL \
         UNION ALL SELECT id, 'p:' || phone, COUNT(*) OVER (PARTITION BY phone) FROM base WHERE phone IS NOT NULL \
         UNION ALL SELECT id, 'n:' || name_city, COUNT(*) OVER (PARTITION BY name_city) FROM base \
         WHERE name_city IS NOT NULL) keys WHERE n > 1",
    );
    // Union-find: every customer of a key joins the key's first customer.
    let mut parent: HashMap<Uuid, Uuid> = HashMap::new();
    fn root(parent: &mut HashMap<Uuid, Uuid>, id: Uuid) -> Uuid {
        let mut top = id;
        while let Some(&up) = parent.get(&top).filter(|&&up| up != top) {
            top = up;
        }
        let mut at = id;
        while at != top {
            let up = parent.insert(at, top).unwrap_or(top);
            at = up;
        }
        top
    }
    let mut first_of_key: HashMap<String, Uuid> = HashMap::new();
    for row in db.query_all_raw(sql.statement()).await? {
        let id: Uuid = row.try_get("", "id")?;
        let shared: String = row.try_get("", "shared")?;
        parent.entry(id).or_insert(id);
        let first = *first_of_key.entry(shared).or_insert(id);
        let (a, b) = (root(&mut parent, id), root(&mut parent, first));
        if a != b {
            // The smaller id stays the root: it names the group.
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            parent.insert(high, low);
        }
    }
    let ids: Vec<Uuid> = parent.keys().copied().collect();
    let mut groups: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for id in ids {
        let top = root(&mut parent, id);
        groups.entry(top).or_default().push(id);
    }
    Ok(groups
        .into_values()
        .map(|mut ids| {
            ids.sort();
            DuplicateGroup { customer_ids: ids }
        })
        .collect())
}
