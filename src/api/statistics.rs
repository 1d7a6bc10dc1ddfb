//! The HTTP layer of the statistics: one handler per row of the
//! statistics registry (`crate::stats::registry`), made from the row, and
//! the periodic reports, the alerts and the catalog. The figures are
//! computed in `crate::stats`, which knows nothing of HTTP.

use actix_web::{get, web};
use uuid::Uuid;

use crate::api::extract::Query;
use crate::auth::Authorized;
use crate::auth::policy::{AnyUser, LeadReaders, MarketingReaders, SalesStats, ServiceStats, TeamStats};
use crate::error::AppResult;
use crate::state::AppState;
use crate::stats::registry::{self, Ask};
use crate::stats::{alerts, catalog, reports};
use crate::stats::{csat_nps, quality, rfm, sales, sla, tickets};
use crate::stats::{customers, dashboard, employees, forecast, funnel, interactions, leads, marketing, pipeline};

/// One handler per row: its doc comment is the operation's summary and
/// description, its policy the extractor, its query the parameters.
macro_rules! handlers {
    ($(
        $(#[doc = $doc:tt])*
        $name:ident {
            path: $path:tt,
            $(id: $id:tt,)?
            policy: $policy:ident,
            query: $qm:ident :: $query:ident,
            answer: $am:ident :: $answer:ident,
            returns: $returns:tt,
            compute: |$db:ident, $caller:ident, $ask:ident| $compute:expr,
            catalog: $catalog:expr,
            example: $example:tt $(,)?
        }
    )*) => {
        $(handler!([$($id)?] $(#[doc = $doc])* $name $path $policy $qm::$query, $am::$answer, $returns);)*

        fn configure_statistics(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
            $(cfg.service($name);)*
        }
    };
}

/// A statistic's handler, with an `{id}` in its path or without.
macro_rules! handler {
    ([] $(#[doc = $doc:tt])* $name:ident $path:tt $policy:ident $qm:ident::$query:ident, $am:ident::$answer:ident, $returns:tt) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = "statistics",
            params($qm::$query),
            responses((status = 200, description = $returns, body = $am::$answer)),
            security(("bearer" = []))
        )]
        #[get($path)]
        pub async fn $name(
            auth: Authorized<$policy>,
            state: web::Data<AppState>,
            query: Query<$qm::$query>,
        ) -> AppResult<web::Json<$am::$answer>> {
            let (db, caller, query, sla) = (&state.db, &*auth, &query.0, &state.settings.sla);
            let answer = registry::on_calendar(db, |calendar| async move {
                registry::$name(db, caller, Ask { query, id: None, calendar, sla }).await
            });
            Ok(web::Json(answer.await?))
        }
    };
    ([$id:tt] $(#[doc = $doc:tt])* $name:ident $path:tt $policy:ident $qm:ident::$query:ident, $am:ident::$answer:ident, $returns:tt) => {
        $(#[doc = $doc])*
        #[utoipa::path(
            tag = "statistics",
            params(("id" = Uuid, Path, description = $id), $qm::$query),
            responses((status = 200, description = $returns, body = $am::$answer)),
            security(("bearer" = []))
        )]
        #[get($path)]
        pub async fn $name(
            auth: Authorized<$policy>,
            state: web::Data<AppState>,
            id: web::Path<Uuid>,
            query: Query<$qm::$query>,
        ) -> AppResult<web::Json<$am::$answer>> {
            let (db, caller, query, sla) = (&state.db, &*auth, &query.0, &state.settings.sla);
            let id = Some(id.into_inner());
            let answer = registry::on_calendar(db, |calendar| async move {
                registry::$name(db, caller, Ask { query, id, calendar, sla }).await
            });
            Ok(web::Json(answer.await?))
        }
    };
}

registry::statistics!(handlers);

/// Periodic report
///
/// The sales, funnel, marketing, service and employee figures of one week,
/// month, quarter or year (`period`, default the last complete one) next
/// to the previous period, with the change — as JSON, as CSV (one table
/// with a `section` column) or as XLSX (one sheet per section), chosen by
/// `format` or else by `Accept`. Each figure is the answer of the named
/// statistic for the caller, so the report has the statistics' scoping;
/// sections the caller's role may not read are listed in
/// `omitted_sections`. For the current period the window ends now and the
/// previous window is as long.
#[utoipa::path(
    tag = "reports",
    params(
        ("kind" = reports::ReportKind, Path, description = "`weekly`, `monthly`, `quarterly` or `annual`."),
        reports::ReportQuery
    ),
    responses((status = 200, description = "The report.", content(
        (reports::Report = "application/json"),
        (String = "text/csv"),
        (crate::tabular::XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    ))),
    security(("bearer" = []))
)]
#[get("/reports/{kind}")]
pub async fn periodic_report(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    query: Query<reports::ReportQuery>,
    request: actix_web::HttpRequest,
) -> AppResult<actix_web::HttpResponse> {
    use actix_web::HttpResponse;
    use actix_web::http::header;
    use reports::ReportFormat;
    let kind = reports::ReportKind::from_path(&kind).ok_or_else(|| {
        crate::error::AppError::NotFound(format!("no {kind} report; weekly, monthly, quarterly or annual"))
    })?;
    let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let format = query.0.format.unwrap_or(if accept.contains("text/csv") {
        ReportFormat::Csv
    } else if accept.contains(reports::XLSX) {
        ReportFormat::Xlsx
    } else {
        ReportFormat::Json
    });
    let (db, caller, sla, asked) = (&state.db, &*auth, &state.settings.sla, &query.0);
    let report =
        registry::on_calendar(
            db,
            |calendar| async move { reports::report(db, caller, sla, calendar, kind, asked).await },
        )
        .await?;
    let attachment = |extension: &str| crate::api::respond::attachment(reports::file_name(&report, extension));
    Ok(match format {
        ReportFormat::Json => HttpResponse::Ok().json(&report),
        ReportFormat::Csv => HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .insert_header(attachment("csv"))
            .body(reports::to_csv(&report)),
        ReportFormat::Xlsx => HttpResponse::Ok()
            .content_type(reports::XLSX)
            .insert_header(attachment("xlsx"))
            .body(reports::to_xlsx(&report)?),
    })
}

/// Alerts
///
/// What needs attention now, in the caller's scope: tickets past (or near)
/// their SLA targets, open opportunities without activity for
/// `stale_days`, customers at churn risk, and employees behind the pace
/// their monthly revenue target needs — each with the record, the rule,
/// its severity and the figures behind it. Thresholds are parameters;
/// rules whose records the caller's role may not read are listed in
/// `omitted_rules`.
#[utoipa::path(
    tag = "alerts",
    params(alerts::AlertQuery),
    responses((status = 200, description = "The alerts, critical first.", body = alerts::Alerts)),
    security(("bearer" = []))
)]
#[get("/alerts")]
pub async fn list_alerts(
    auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
    query: Query<alerts::AlertQuery>,
) -> AppResult<web::Json<alerts::Alerts>> {
    let (db, caller, sla, query) = (&state.db, &*auth, &state.settings.sla, &query.0);
    let answer =
        registry::on_calendar(db, |calendar| async move { alerts::alerts(db, caller, sla, query, calendar).await });
    Ok(web::Json(answer.await?))
}

/// Statistics catalog
///
/// Every statistics endpoint described: its path, who may ask, its figures
/// with unit and definition, the `by=` dimensions and filters it accepts,
/// and whether it takes a window, `granularity` and `compare` — so that a
/// frontend can build its charts and filters without hard-coding them —
/// and the organization's calendar the windowed ones are computed on.
#[utoipa::path(
    tag = "statistics",
    responses((status = 200, description = "The statistics endpoints.", body = catalog::Catalog)),
    security(("bearer" = []))
)]
#[get("/stats/metrics")]
pub async fn stats_metrics(
    _auth: Authorized<AnyUser>,
    state: web::Data<AppState>,
) -> AppResult<web::Json<catalog::Catalog>> {
    let calendar = crate::calendar::load(&state.db).await?.calendar;
    Ok(web::Json(registry::catalog(calendar)))
}

/// Registers the statistics endpoints, the reports, the alerts and the
/// catalog.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    configure_statistics(cfg);
    cfg.service(periodic_report).service(list_alerts).service(stats_metrics);
}
