//! Who the caller is now: the role, team and active flag of the user an
//! access token names, read from the database where the caller is loaded
//! rather than trusted from the token, so that a demotion, a move to
//! another team or a deactivation takes effect on the next request, not
//! when the token expires (15 minutes later).
//!
//! Reads are cached per user for [`TTL`]: a request costs a map lookup, and
//! a busy user one indexed read every few seconds. A change made through
//! this instance forgets the user's entry at once; another instance on the
//! same database sees it within [`TTL`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::db::statement;
use crate::domain::Role;
use crate::error::AppError;

/// How long a user's role and active flag are taken from the cache.
pub const TTL: Duration = Duration::from_secs(2);

/// Entries beyond which the expired ones are dropped.
const PRUNE_AT: usize = 10_000;

/// What a caller is allowed as now: an active user's role and team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    pub role: Role,
    pub team_id: Option<Uuid>,
}

#[derive(Default)]
pub struct Callers {
    /// Per user: when it was read, and the account (`None`: no active user).
    entries: Mutex<HashMap<Uuid, (Instant, Option<Account>)>>,
}

impl Callers {
    /// The active account of user `id`, or `None` when the user is
    /// deactivated, deleted or unknown.
    pub async fn account(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<Option<Account>, AppError> {
        if let Some(cached) = self.cached(id) {
            return Ok(cached);
        }
        let row = db
            .query_one_raw(statement(
                db.get_database_backend(),
                "SELECT role, team_id FROM users WHERE id = $1 AND active AND deleted_at IS NULL",
                vec![id.into()],
            ))
            .await?;
        let account = match row {
            Some(row) => {
                let role: String = row.try_get("", "role")?;
                let role = role.parse::<Role>().map_err(|_| AppError::internal(format!("unknown role {role:?}")))?;
                Some(Account { role, team_id: row.try_get("", "team_id")? })
            }
            None => None,
        };
        self.remember(id, account);
        Ok(account)
    }

    fn cached(&self, id: Uuid) -> Option<Option<Account>> {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(&id).filter(|(at, _)| at.elapsed() < TTL).map(|(_, account)| *account)
    }

    fn remember(&self, id: Uuid, account: Option<Account>) {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= PRUNE_AT {
            entries.retain(|_, (at, _)| at.elapsed() < TTL);
        }
        entries.insert(id, (Instant::now(), account));
    }

    /// Forgets one user (after a change of their role, team or status).
    pub fn forget(&self, id: Uuid) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).remove(&id);
    }

    /// Forgets every user (after a change that may move many, such as a
    /// team's deletion).
    pub fn forget_all(&self) {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clear();
    }
}
