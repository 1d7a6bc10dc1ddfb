//! The generated company: a tea-and-gifts trader with regional sales
//! teams, a service desk and a marketing team, three years of history with
//! growth and seasonality, profile gaps and duplicate customers, a funnel
//! with realistic drop-off, campaigns that bring leads, tickets whose
//! response times depend on priority, NPS surveys and tasks.

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, TimeZone, Utc, Weekday};
use sea_orm::Value;
use uuid::Uuid;

use super::Options;
use super::load::{Batch, Loader};
use super::rng::Rng;
use crate::domain::enums::Stage;

/// The demo logins printed after a seed: (role, email).
pub const DEMO_LOGINS: &[(&str, &str)] = &[
    ("manager", "manager@example.com"),
    ("sales rep", "sales@example.com"),
    ("service agent", "service@example.com"),
    ("marketing", "marketing@example.com"),
    ("analyst", "analyst@example.com"),
];

pub fn demo_password() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    format!("demo-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

const SURNAMES: &[&str] = &[
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo",
    "He", "Lin", "Gao", "Luo", "Zheng", "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng", "Zeng",
    "Xiao", "Tian", "Dong", "Pan", "Yuan", "Cai", "Jiang", "Yu", "Du",
];
const GIVEN: &[&str] = &[
    "wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong", "yan", "jie", "tao", "ming",
    "chao", "xiu", "xia", "ping", "gang", "hui", "lan", "hua", "bo", "xin", "yu", "hao", "ting", "rui", "kai", "lin",
    "qing", "zhi", "wen", "mei", "feng", "chen", "yi", "jia", "le",
];
const COMPANY_WORDS: &[&str] = &[
    "Hengda",
    "Jinhua",
    "Tianyi",
    "Xinglong",
    "Dongfang",
    "Huaxia",
    "Shengshi",
    "Ruifeng",
    "Baoli",
    "Kaiyuan",
    "Minghui",
    "Longteng",
    "Fuxing",
    "Yongsheng",
    "Zhongxin",
    "Hongyun",
    "Jiahe",
    "Meida",
    "Anxin",
    "Boya",
    "Chuangyi",
    "Dingsheng",
    "Guanghua",
    "Haitian",
    "Jinqiao",
    "Lianhe",
    "Qiming",
    "Sanhe",
    "Wanjia",
    "Yida",
];
const COMPANY_KINDS: &[&str] =
    &["Trading", "Hotel", "Technology", "Foods", "Department Store", "Consulting", "Catering", "Culture"];
/// (region, cities)
const REGIONS: &[(&str, &[&str])] = &[
    ("East", &["Shanghai", "Hangzhou", "Nanjing", "Suzhou"]),
    ("North", &["Beijing", "Tianjin", "Jinan"]),
    ("South", &["Guangzhou", "Shenzhen", "Xiamen"]),
    ("West", &["Chengdu", "Chongqing", "Xi'an"]),
    ("Central", &["Wuhan", "Changsha", "Zhengzhou"]),
];
const INDUSTRIES: &[&str] =
    &["Retail", "Hospitality", "Manufacturing", "Technology", "Education", "Healthcare", "Finance", "Logistics"];
const OCCUPATIONS: &[&str] =
    &["Teacher", "Engineer", "Doctor", "Designer", "Accountant", "Student", "Manager", "Entrepreneur", "Retiree"];
/// (source, share of leads, conversion rate)
const SOURCES: &[(&str, f64, f64)] = &[
    ("website", 0.30, 0.12),
    ("referral", 0.15, 0.30),
    ("trade_show", 0.12, 0.20),
    ("wechat", 0.20, 0.15),
    ("advertising", 0.15, 0.08),
    ("cold_call", 0.08, 0.05),
];
/// (category, products, price range in yuan)
const CATEGORIES: &[(&str, &[&str], (i64, i64))] = &[
    (
        "Tea",
        &["Longjing", "Pu'er", "Oolong", "Jasmine", "Black tea", "White tea", "Tieguanyin", "Dahongpao"],
        (40, 900),
    ),
    ("Teaware", &["Gaiwan", "Yixing teapot", "Cup set", "Tea tray", "Kettle", "Tea caddy"], (60, 1500)),
    ("Gifts", &["Festival box", "Moon cake set", "Corporate hamper", "Tasting kit", "Premium box"], (150, 2500)),
    ("Snacks", &["Dried fruit", "Nut mix", "Pastries", "Candied ginger", "Rice crackers"], (15, 120)),
    ("Office", &["Desk tea kit", "Thermos", "Travel set", "Capsules"], (30, 400)),
    ("Home", &["Tea table", "Incense set", "Porcelain vase", "Table runner"], (80, 3000)),
];
const CHANNELS: &[(&str, f64)] = &[("online", 0.45), ("store", 0.30), ("wechat", 0.15), ("partner", 0.10)];
const TICKET_CATEGORIES: &[&str] = &["delivery", "product", "billing", "account", "complaint"];
const TICKET_CHANNELS: &[&str] = &["phone", "email", "wechat", "web"];
/// (priority, share, median first response minutes, median resolution hours)
const PRIORITIES: &[(&str, f64, f64, f64)] = &[
    ("urgent", 0.05, 25.0, 3.0),
    ("high", 0.20, 90.0, 14.0),
    ("normal", 0.55, 240.0, 40.0),
    ("low", 0.20, 600.0, 80.0),
];
/// Orders per month, relative (February dips for the Spring Festival; the
/// gift season peaks in November and December).
const SEASON: [f64; 12] = [0.85, 0.65, 0.9, 0.95, 1.0, 1.05, 0.95, 0.95, 1.05, 1.1, 1.35, 1.55];
const GROWTH_PER_YEAR: f64 = 1.08;

fn ts(at: DateTime<Utc>) -> Value {
    Value::from(at)
}
fn opt_ts(at: Option<DateTime<Utc>>) -> Value {
    Value::ChronoDateTimeUtc(at)
}
fn text(value: &str) -> Value {
    Value::from(value.to_string())
}
fn opt_text(value: Option<&str>) -> Value {
    Value::String(value.map(str::to_string))
}
fn opt_id(value: Option<Uuid>) -> Value {
    Value::Uuid(value)
}

/// The history's time axis: three years up to `until`, with growth,
/// seasonality and quieter weekends.
struct Timeline {
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Σ of the daily weights before each day of the history.
    cumulative: Vec<f64>,
}

impl Timeline {
    fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Self {
        let mut timeline = Timeline { start, end, cumulative: vec![0.0] };
        let mut day = start;
        let mut sum = 0.0;
        while day < end {
            sum += timeline.weight(day);
            timeline.cumulative.push(sum);
            day += Duration::days(1);
        }
        timeline
    }

    fn day_index(&self, at: DateTime<Utc>) -> usize {
        ((at - self.start).num_days().max(0) as usize).min(self.cumulative.len() - 1)
    }

    fn days(&self) -> f64 {
        (self.end - self.start).num_seconds() as f64 / 86_400.0
    }

    fn weight(&self, at: DateTime<Utc>) -> f64 {
        let years = (at - self.start).num_seconds() as f64 / (365.25 * 86_400.0);
        let weekday = match at.weekday() {
            Weekday::Sat => 0.8,
            Weekday::Sun => 0.6,
            _ => 1.1,
        };
        GROWTH_PER_YEAR.powf(years) * SEASON[at.month0() as usize] * weekday
    }

    fn max_weight(&self) -> f64 {
        GROWTH_PER_YEAR.powf(self.days() / 365.25) * 1.55 * 1.1
    }

    /// A moment in [from, to), following the business's rhythm; business
    /// hours mostly.
    fn moment(&self, rng: &mut Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
        let span = (to - from).num_seconds().max(1);
        let max = self.max_weight();
        for _ in 0..64 {
            let day = from + Duration::seconds(rng.below(span as usize) as i64);
            if rng.unit() * max < self.weight(day) {
                let midnight = Utc.from_utc_datetime(&day.date_naive().and_hms_opt(0, 0, 0).unwrap_or_default());
                let hour = 1 + rng.below(12) as i64; // 09:00–20:59 China time
                let at = midnight + Duration::hours(hour) + Duration::seconds(rng.below(3600) as i64);
                if at >= from && at < to {
                    return at;
                }
                return day;
            }
        }
        from + Duration::seconds(rng.below(span as usize) as i64)
    }

    /// The share of the business's volume that falls in [from, to) (whole days).
    fn share(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let part = self.cumulative[self.day_index(to)] - self.cumulative[self.day_index(from)];
        if total > 0.0 { part / total } else { 0.0 }
    }
}

struct User {
    id: Uuid,
    team: Option<usize>,
}

struct Product {
    id: Uuid,
    price: i64,
    cost: i64,
    popularity: f64,
}

struct Customer {
    id: Uuid,
    owner: Uuid,
    region: Option<&'static str>,
    created: DateTime<Utc>,
    /// Orders per year while active (0 for prospects).
    rate: f64,
    /// When it stops buying.
    churn: Option<DateTime<Utc>>,
    company: bool,
}

struct Campaign {
    id: Uuid,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
}

struct Company {
    sales: Vec<User>,
    managers: Vec<User>,
    agents: Vec<User>,
    team_regions: Vec<&'static str>,
    products: Vec<Product>,
    customers: Vec<Customer>,
    campaigns: Vec<Campaign>,
    leads: Vec<(Uuid, DateTime<Utc>)>,
}

/// A customer that existed at `at`, from a list in creation order.
fn existing_at<'a>(rng: &mut Rng, customers: &[&'a Customer], at: DateTime<Utc>) -> Option<&'a Customer> {
    let existing = customers.partition_point(|c| c.created <= at);
    (existing > 0).then(|| customers[rng.below(existing)])
}

fn person_name(rng: &mut Rng) -> String {
    let given =
        if rng.chance(0.7) { format!("{}{}", rng.pick(GIVEN), rng.pick(GIVEN)) } else { rng.pick(GIVEN).to_string() };
    let mut chars = given.chars();
    let given: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(chars).collect();
    format!("{given} {}", rng.pick(SURNAMES))
}

fn company_name(rng: &mut Rng) -> String {
    let (first, second) = (rng.pick(COMPANY_WORDS), rng.pick(COMPANY_WORDS));
    format!("{first} {second} {} Co., Ltd.", rng.pick(COMPANY_KINDS))
}

fn volume(options: &Options, per_scale: f64) -> usize {
    (per_scale * options.scale).round().max(1.0) as usize
}

pub async fn generate(loader: &mut Loader<'_>, options: Options, password_hash: &str) -> Result<(), sea_orm::DbErr> {
    let mut rng = Rng::new(options.seed);
    let end = Utc.from_utc_datetime(&options.until.and_hms_opt(0, 0, 0).unwrap_or_default());
    let start = end - Months::new(36);
    let timeline = Timeline::new(start, end);
    let mut company = Company {
        sales: vec![],
        managers: vec![],
        agents: vec![],
        team_regions: vec![],
        products: vec![],
        customers: vec![],
        campaigns: vec![],
        leads: vec![],
    };
    people(loader, &mut rng, &options, &timeline, &mut company, password_hash).await?;
    products(loader, &mut rng, &timeline, &mut company).await?;
    campaigns(loader, &mut rng, &options, &timeline, &mut company).await?;
    customers_and_leads(loader, &mut rng, &options, &timeline, &mut company).await?;
    let sold = orders(loader, &mut rng, &options, &timeline, &company).await?;
    opportunities(loader, &mut rng, &options, &timeline, &company).await?;
    activities(loader, &mut rng, &options, &timeline, &company).await?;
    members(loader, &mut rng, &company).await?;
    tickets(loader, &mut rng, &options, &timeline, &company).await?;
    feedback(loader, &mut rng, &options, &timeline, &company).await?;
    tasks(loader, &mut rng, &options, &timeline, &company).await?;
    targets(loader, &mut rng, &timeline, &company, &sold).await?;
    Ok(())
}

async fn people(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &mut Company,
    hash: &str,
) -> Result<(), sea_orm::DbErr> {
    let size = options.scale.sqrt().ceil().max(1.0) as usize;
    let sales_teams = 2 * size;
    let founded = timeline.start - Duration::days(30);
    // Sales teams (one per region in turn), a service desk, marketing.
    let mut teams = vec![];
    for index in 0..sales_teams + 2 {
        let name = if index < sales_teams {
            let (region, _) = REGIONS[index % REGIONS.len()];
            company.team_regions.push(region);
            format!("Sales {region} {}", index / REGIONS.len() + 1)
        } else if index == sales_teams {
            "Customer Care".to_string()
        } else {
            "Marketing".to_string()
        };
        teams.push((rng.id(founded), name));
    }
    // (role, team, fixed email, active)
    let mut specs: Vec<(&str, Option<usize>, Option<&str>, bool)> = vec![];
    for team in 0..teams.len() {
        specs.push(("manager", Some(team), (team == 0).then_some("manager@example.com"), true));
    }
    for team in 0..sales_teams {
        for member in 0..4 {
            // One rep of every third team has left (inactive, history kept).
            let active = !(member == 3 && team % 3 == 2);
            specs.push(("sales", Some(team), (team == 0 && member == 0).then_some("sales@example.com"), active));
        }
    }
    for member in 0..3 * size {
        specs.push(("service", Some(sales_teams), (member == 0).then_some("service@example.com"), true));
    }
    for member in 0..2 {
        specs.push(("marketing", Some(sales_teams + 1), (member == 0).then_some("marketing@example.com"), true));
    }
    specs.push(("analyst", None, Some("analyst@example.com"), true));

    let mut team_batch = Batch::new("teams", &["id", "name", "created_at", "updated_at"]);
    for (id, name) in &teams {
        loader.add(&mut team_batch, [Value::from(*id), text(name), ts(founded), ts(founded)]).await?;
    }
    loader.flush(&mut team_batch).await?;
    let mut users = Batch::new(
        "users",
        &["id", "name", "email", "password_hash", "role", "team_id", "active", "created_at", "updated_at"],
    );
    let mut emails = std::collections::HashSet::new();
    let mut managers = vec![None; teams.len()];
    for (role, team, fixed, active) in specs {
        let name = person_name(rng);
        let email = match fixed {
            Some(fixed) => fixed.to_string(),
            None => loop {
                let candidate = format!("{}{}@example.com", name.to_lowercase().replace(' ', "."), rng.below(1000));
                if !DEMO_LOGINS.iter().any(|(_, e)| *e == candidate) && emails.insert(candidate.clone()) {
                    break candidate;
                }
            },
        };
        let joined = founded + Duration::days(if role == "manager" { 0 } else { rng.below(60) as i64 });
        let id = rng.id(joined);
        loader
            .add(
                &mut users,
                [
                    Value::from(id),
                    text(&name),
                    text(&email),
                    text(hash),
                    text(role),
                    opt_id(team.map(|t| teams[t].0)),
                    Value::from(active),
                    ts(joined),
                    ts(joined),
                ],
            )
            .await?;
        let user = User { id, team };
        match role {
            "manager" => {
                if let Some(team) = team {
                    managers[team] = Some(id);
                }
                company.managers.push(user);
            }
            "sales" => company.sales.push(user),
            "service" => company.agents.push(user),
            _ => {}
        }
    }
    loader.flush(&mut users).await?;
    for ((team, _), manager) in teams.iter().zip(managers) {
        loader
            .execute("UPDATE teams SET manager_id = ? WHERE id = ?", vec![opt_id(manager), Value::from(*team)])
            .await?;
    }
    Ok(())
}

async fn products(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    timeline: &Timeline,
    company: &mut Company,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "products",
        &["id", "sku", "name", "category", "unit_price", "unit_cost", "active", "created_at", "updated_at"],
    );
    let at = timeline.start - Duration::days(20);
    let mut sku = 1000;
    for (category, names, (low, high)) in CATEGORIES {
        for name in *names {
            for grade in ["Classic", "Select", "Premium"] {
                sku += 1;
                let yuan = match grade {
                    "Classic" => rng.between(*low, (low + high) / 3),
                    "Select" => rng.between((low + high) / 3, 2 * (low + high) / 3),
                    _ => rng.between(2 * (low + high) / 3, *high),
                };
                // Shop prices end in .90 or .00.
                let price = if yuan > 20 && rng.chance(0.5) { yuan * 100 - 10 } else { yuan * 100 };
                let cost = price * rng.between(35, 65) / 100;
                let id = rng.id(at);
                // A few products are retired (still sold in the past).
                let active = !rng.chance(0.05);
                loader
                    .add(
                        &mut batch,
                        [
                            Value::from(id),
                            text(&format!("SKU-{sku}")),
                            text(&format!("{name} {grade}")),
                            text(category),
                            Value::from(price),
                            Value::from(cost),
                            Value::from(active),
                            ts(at),
                            ts(at),
                        ],
                    )
                    .await?;
                let popularity = match grade {
                    "Classic" => 3.0,
                    "Select" => 2.0,
                    _ => 1.0,
                } * rng.lognormal(1.0, 0.5);
                company.products.push(Product { id, price, cost, popularity });
            }
        }
    }
    loader.flush(&mut batch).await
}

async fn campaigns(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &mut Company,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "campaigns",
        &[
            "id",
            "name",
            "channel",
            "status",
            "start_date",
            "end_date",
            "budget",
            "actual_cost",
            "impressions",
            "clicks",
            "created_at",
            "updated_at",
        ],
    );
    const THEMES: &[(&str, u32, &str)] = &[
        ("Spring Festival gifts", 1, "wechat"),
        ("Spring tea launch", 4, "advertising"),
        ("Dragon Boat promotion", 6, "email"),
        ("Summer iced tea", 7, "wechat"),
        ("Mid-Autumn moon cakes", 9, "advertising"),
        ("Trade fair", 10, "trade_show"),
        ("Singles' Day", 11, "online"),
        ("Year-end corporate gifts", 12, "email"),
    ];
    let scale = options.scale.sqrt();
    let mut year = timeline.start.year();
    while year <= timeline.end.year() {
        for (theme, month, channel) in THEMES {
            let Some(first) = NaiveDate::from_ymd_opt(year, *month, 1) else { continue };
            let begin = Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
                + Duration::days(rng.below(10) as i64);
            let length = rng.between(14, 40);
            let finish = begin + Duration::days(length);
            if begin < timeline.start || begin >= timeline.end {
                continue;
            }
            let planned_at = begin - Duration::days(rng.between(10, 30));
            let status = if finish <= timeline.end { "completed" } else { "active" };
            let budget = (rng.between(8, 40) as f64 * scale).round() as i64 * 100_000;
            let cost = if status == "completed" { budget * rng.between(80, 110) / 100 } else { budget / 2 };
            let impressions = (cost as f64 / 100.0 * rng.lognormal(30.0, 0.4)) as i64;
            let clicks = (impressions as f64 * rng.lognormal(0.02, 0.5)).min(impressions as f64) as i64;
            let id = rng.id(planned_at.min(timeline.end - Duration::days(1)));
            loader
                .add(
                    &mut batch,
                    [
                        Value::from(id),
                        text(&format!("{theme} {year}")),
                        text(channel),
                        text(status),
                        Value::from(begin.date_naive()),
                        Value::from(finish.date_naive()),
                        Value::from(budget),
                        Value::from(cost),
                        Value::from(impressions),
                        Value::from(clicks),
                        ts(planned_at.min(timeline.end - Duration::days(1))),
                        ts(planned_at.min(timeline.end - Duration::days(1))),
                    ],
                )
                .await?;
            company.campaigns.push(Campaign { id, start: begin, end: finish });
        }
        year += 1;
    }
    loader.flush(&mut batch).await
}

/// A campaign running at `at`, if any.
fn campaign_at(company: &Company, at: DateTime<Utc>) -> Option<Uuid> {
    company.campaigns.iter().find(|c| c.start <= at && at < c.end).map(|c| c.id)
}

fn phone(rng: &mut Rng) -> String {
    format!("1{}{:09}", rng.pick(&["38", "39", "50", "58", "86", "88"]), rng.below(1_000_000_000))
}

async fn customers_and_leads(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &mut Company,
) -> Result<(), sea_orm::DbErr> {
    let mut customers = Batch::new(
        "customers",
        &[
            "id",
            "kind",
            "name",
            "gender",
            "birth_date",
            "occupation",
            "industry",
            "phone",
            "phone_digits",
            "email",
            "address",
            "city",
            "region",
            "country",
            "source",
            "segment",
            "lifecycle_stage",
            "owner_id",
            "tags",
            "created_at",
            "updated_at",
        ],
    );
    let mut leads = Batch::new(
        "leads",
        &[
            "id",
            "name",
            "company",
            "email",
            "phone",
            "source",
            "campaign_id",
            "status",
            "owner_id",
            "converted_customer_id",
            "converted_at",
            "created_at",
            "updated_at",
        ],
    );
    let weights: Vec<f64> = SOURCES.iter().map(|(_, share, _)| *share).collect();
    let active_reps: Vec<usize> = (0..company.sales.len()).collect();
    let base = volume(options, 1_600.0);
    let lead_count = volume(options, 3_000.0);
    // Leads first decide which become customers; customers are written
    // before the leads that point at them.
    struct LeadRow {
        id: Uuid,
        name: String,
        company: Option<String>,
        source: usize,
        campaign: Option<Uuid>,
        status: &'static str,
        owner: Option<Uuid>,
        converted: Option<(Uuid, DateTime<Utc>)>,
        created: DateTime<Utc>,
        email: Option<String>,
        phone: Option<String>,
    }
    let mut lead_rows = Vec::with_capacity(lead_count);
    let mut specs: Vec<(DateTime<Utc>, Option<usize>, Option<usize>)> = vec![]; // (created, source, lead index)
    for index in 0..lead_count {
        let created = timeline.moment(rng, timeline.start, timeline.end);
        let source = rng.weighted(&weights);
        let campaign = campaign_at(company, created).filter(|_| rng.chance(0.5));
        let rate = SOURCES[source].2 + if campaign.is_some() { 0.05 } else { 0.0 };
        let owner = (!rng.chance(0.15)).then(|| company.sales[*rng.pick(&active_reps)].id);
        let converted_at = created + Duration::seconds((rng.exponential(16.0) * 86_400.0) as i64);
        let converts = owner.is_some() && rng.chance(rate) && converted_at < timeline.end;
        let age_days = (timeline.end - created).num_days();
        let status = if converts {
            "converted"
        } else if age_days > 60 {
            *rng.pick(&["unqualified", "unqualified", "contacted", "qualified"])
        } else {
            *rng.pick(&["new", "contacted", "qualified"])
        };
        let is_company = rng.chance(0.4);
        let name = person_name(rng);
        let converted = if converts {
            specs.push((converted_at, Some(source), Some(index)));
            Some((Uuid::nil(), converted_at))
        } else {
            None
        };
        lead_rows.push(LeadRow {
            id: rng.id(created),
            company: is_company.then(|| format!("{} {}", rng.pick(COMPANY_WORDS), rng.pick(COMPANY_KINDS))),
            email: rng.chance(0.7).then(|| format!("{}@mail.example", name.to_lowercase().replace(' ', "."))),
            phone: rng.chance(0.6).then(|| phone(rng)),
            name,
            source,
            campaign,
            status,
            owner,
            converted,
            created,
        });
    }
    for _ in 0..base {
        // A third of the base existed before the history starts.
        let created = if rng.chance(0.3) {
            timeline.start - Duration::days(rng.between(1, 700))
        } else {
            timeline.moment(rng, timeline.start, timeline.end)
        };
        specs.push((created, None, None));
    }
    specs.sort_by_key(|(created, _, _)| *created);
    // (name, email, phone) of customers a later entry may duplicate.
    let mut duplicates_of: Vec<(String, Option<String>, Option<String>)> = vec![];
    for (created, source, lead) in specs {
        let company_kind = rng.chance(0.4);
        let owner_index = match lead.and_then(|l| lead_rows[l].owner) {
            Some(owner) => company.sales.iter().position(|s| s.id == owner).unwrap_or(0),
            None => rng.below(company.sales.len()),
        };
        let owner = company.sales[owner_index].id;
        let team_region =
            company.team_regions[company.sales[owner_index].team.unwrap_or(0) % company.team_regions.len()];
        let (region, cities) = REGIONS.iter().find(|(r, _)| *r == team_region).copied().unwrap_or(REGIONS[0]);
        let city = *rng.pick(cities);
        let mut name = if company_kind { company_name(rng) } else { person_name(rng) };
        let mut email = rng
            .chance(0.75)
            .then(|| format!("{}{}@mail.example", name.to_lowercase().replace([' ', ',', '.'], ""), rng.below(100)));
        let mut phone_number = rng.chance(0.85).then(|| phone(rng));
        // About 3% are the same person or company entered twice.
        if !duplicates_of.is_empty() && rng.chance(0.03) {
            let (n, e, p) = rng.pick(&duplicates_of).clone();
            match rng.below(3) {
                0 => name = format!(" {} ", n.to_uppercase()),
                1 => email = e.map(|e| e.to_uppercase()),
                _ => phone_number = p.map(|p| format!("+86 {}-{}-{}", &p[..3], &p[3..7], &p[7..])),
            }
        } else if duplicates_of.len() < 5000 {
            duplicates_of.push((name.clone(), email.clone(), phone_number.clone()));
        }
        let rate = if rng.chance(0.78) { rng.lognormal(if company_kind { 4.0 } else { 2.0 }, 0.7) } else { 0.0 };
        let churn = (rate > 0.0 && rng.chance(0.3)).then(|| {
            let from = created.max(timeline.start);
            from + Duration::seconds(rng.below(((timeline.end - from).num_seconds().max(1)) as usize) as i64)
        });
        let lifecycle = if rate == 0.0 {
            if rng.chance(0.6) { "prospect" } else { "lead" }
        } else if churn.is_some_and(|c| c < timeline.end - Duration::days(120)) {
            "churned"
        } else {
            "customer"
        };
        let id = rng.id(created);
        if let Some(lead) = lead {
            lead_rows[lead].converted = Some((id, created));
        }
        let source_name = match source {
            Some(source) => Some(SOURCES[source].0),
            None => (!rng.chance(0.1)).then(|| SOURCES[rng.weighted(&weights)].0),
        };
        let segment = if company_kind {
            *rng.pick(&["smb", "smb", "smb", "mid_market", "enterprise"])
        } else if rate > 5.0 {
            "vip"
        } else {
            "consumer"
        };
        let (gender, birth, occupation, industry) = if company_kind {
            (None, None, None, rng.chance(0.85).then(|| *rng.pick(INDUSTRIES)))
        } else {
            let age = rng.between(20, 70);
            (
                Some(*rng.pick(&["male", "female"])),
                rng.chance(0.7)
                    .then(|| {
                        NaiveDate::from_ymd_opt(
                            created.year() - age as i32,
                            1 + rng.below(12) as u32,
                            1 + rng.below(28) as u32,
                        )
                    })
                    .flatten(),
                rng.chance(0.6).then(|| *rng.pick(OCCUPATIONS)),
                None,
            )
        };
        let digits = phone_number.as_deref().and_then(|p| crate::api::fields::phone_digits(Some(p)));
        let region = (!rng.chance(0.05)).then_some(region);
        let email = email.map(|e| e.trim().to_lowercase());
        // Most records were touched in the last months; some lie stale.
        let updated =
            created.max(timeline.end - Duration::seconds((rng.exponential(120.0) * 86_400.0) as i64)).min(timeline.end);
        loader
            .add(
                &mut customers,
                [
                    Value::from(id),
                    text(if company_kind { "company" } else { "individual" }),
                    text(name.trim()),
                    opt_text(gender),
                    Value::ChronoDate(birth),
                    opt_text(occupation),
                    opt_text(industry),
                    opt_text(phone_number.as_deref()),
                    opt_text(digits.as_deref()),
                    opt_text(email.as_deref()),
                    opt_text(
                        rng.chance(0.6)
                            .then(|| format!("{} Road No. {}", rng.pick(COMPANY_WORDS), rng.between(1, 999)))
                            .as_deref(),
                    ),
                    opt_text(Some(city)),
                    opt_text(region),
                    text("China"),
                    opt_text(source_name),
                    opt_text(Some(segment)),
                    text(lifecycle),
                    Value::from(owner),
                    text(if segment == "vip" { "[\"vip\"]" } else { "[]" }),
                    ts(created),
                    ts(updated),
                ],
            )
            .await?;
        company.customers.push(Customer { id, owner, region, created, rate, churn, company: company_kind });
    }
    loader.flush(&mut customers).await?;
    for lead in lead_rows {
        let converted_id = lead.converted.map(|(id, _)| id);
        let converted_at = lead.converted.map(|(_, at)| at);
        loader
            .add(
                &mut leads,
                [
                    Value::from(lead.id),
                    text(&lead.name),
                    opt_text(lead.company.as_deref()),
                    opt_text(lead.email.as_deref()),
                    opt_text(lead.phone.as_deref()),
                    text(SOURCES[lead.source].0),
                    opt_id(lead.campaign),
                    text(lead.status),
                    opt_id(lead.owner),
                    opt_id(converted_id),
                    opt_ts(converted_at),
                    ts(lead.created),
                    ts(converted_at.unwrap_or(lead.created)),
                ],
            )
            .await?;
        company.leads.push((lead.id, lead.created));
    }
    loader.flush(&mut leads).await
}

/// Counted revenue per (rep, first day of the month).
type Sold = std::collections::HashMap<(Uuid, NaiveDate), i64>;

fn month_of(at: DateTime<Utc>) -> NaiveDate {
    NaiveDate::from_ymd_opt(at.year(), at.month(), 1).unwrap_or_default()
}

async fn orders(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &Company,
) -> Result<Sold, sea_orm::DbErr> {
    let mut sold = Sold::new();
    let mut orders = Batch::manual(
        "orders",
        &[
            "id",
            "customer_id",
            "owner_id",
            "channel",
            "region",
            "status",
            "ordered_at",
            "total_amount",
            "total_cost",
            "created_at",
            "updated_at",
        ],
    );
    let mut items = Batch::manual(
        "order_items",
        &[
            "id",
            "order_id",
            "position",
            "product_id",
            "quantity",
            "unit_price",
            "unit_cost",
            "discount",
            "line_amount",
            "line_cost",
        ],
    );
    // Calibrate the buying rates so that the company places about
    // 10,000 × scale orders over the three years.
    let target = volume(options, 10_000.0) as f64;
    // A customer's expected orders: its yearly rate × the years of
    // business its active period holds (busy seasons count for more).
    let years = timeline.days() / 365.25;
    let intensity = |c: &Customer| {
        let from = c.created.max(timeline.start);
        let to = c.churn.unwrap_or(timeline.end).min(timeline.end);
        if to <= from { 0.0 } else { c.rate * timeline.share(from, to) * years }
    };
    let expected: f64 = company.customers.iter().map(intensity).sum();
    let factor = if expected > 0.0 { target / expected } else { 0.0 };
    let popularity: Vec<f64> = company.products.iter().map(|p| p.popularity).collect();
    let channel_weights: Vec<f64> = CHANNELS.iter().map(|(_, w)| *w).collect();
    for customer in &company.customers {
        let from = customer.created.max(timeline.start);
        let to = customer.churn.unwrap_or(timeline.end).min(timeline.end);
        if to <= from || customer.rate == 0.0 {
            continue;
        }
        let count = rng.poisson(intensity(customer) * factor);
        for _ in 0..count {
            let at = timeline.moment(rng, from, to);
            let age = (timeline.end - at).num_days();
            let status = if age < 3 {
                *rng.pick(&["pending", "paid", "paid"])
            } else if age < 30 {
                match rng.below(20) {
                    0 => "cancelled",
                    1..=9 => "paid",
                    _ => "completed",
                }
            } else {
                match rng.below(100) {
                    0..=3 => "cancelled",
                    4..=5 => "refunded",
                    _ => "completed",
                }
            };
            let id = rng.id(at);
            let lines = 1 + rng.weighted(&[0.5, 0.3, 0.15, 0.05]);
            let (mut total, mut total_cost) = (0i64, 0i64);
            for position in 0..lines {
                let product = &company.products[rng.weighted(&popularity)];
                let quantity = if product.price < 10_000 { rng.between(1, 3) } else { 1 }
                    * if customer.company && rng.chance(0.3) { rng.between(2, 4) } else { 1 };
                let gross = quantity * product.price;
                let discount = if rng.chance(0.12) { gross * rng.between(5, 15) / 100 } else { 0 };
                let (amount, cost) = (gross - discount, quantity * product.cost);
                total += amount;
                total_cost += cost;
                loader
                    .add(
                        &mut items,
                        [
                            Value::from(rng.id(at)),
                            Value::from(id),
                            Value::from(position as i32),
                            Value::from(product.id),
                            Value::from(quantity),
                            Value::from(product.price),
                            Value::from(product.cost),
                            Value::from(discount),
                            Value::from(amount),
                            Value::from(cost),
                        ],
                    )
                    .await?;
            }
            if matches!(status, "paid" | "completed") {
                *sold.entry((customer.owner, month_of(at))).or_default() += total;
            }
            loader
                .add(
                    &mut orders,
                    [
                        Value::from(id),
                        Value::from(customer.id),
                        Value::from(customer.owner),
                        text(CHANNELS[rng.weighted(&channel_weights)].0),
                        opt_text(customer.region),
                        text(status),
                        ts(at),
                        Value::from(total),
                        Value::from(total_cost),
                        ts(at),
                        ts(at),
                    ],
                )
                .await?;
            // Items refer to their order: orders are written first.
            if items.rows() > 20_000 {
                loader.flush(&mut orders).await?;
                loader.flush(&mut items).await?;
            }
        }
    }
    loader.flush(&mut orders).await?;
    loader.flush(&mut items).await?;
    Ok(sold)
}

async fn opportunities(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &Company,
) -> Result<(), sea_orm::DbErr> {
    let mut deals = Batch::manual(
        "opportunities",
        &[
            "id",
            "customer_id",
            "name",
            "amount",
            "stage",
            "probability_bp",
            "expected_close_date",
            "owner_id",
            "campaign_id",
            "closed_at",
            "lost_reason",
            "created_at",
            "updated_at",
        ],
    );
    let mut history = Batch::manual(
        "opportunity_stage_history",
        &["id", "opportunity_id", "from_stage", "stage", "changed_at", "changed_by"],
    );
    let buyers: Vec<&Customer> = company.customers.iter().filter(|c| c.rate > 0.0 || c.company).collect();
    if buyers.is_empty() {
        return Ok(());
    }
    const OPEN: [Stage; 4] = [Stage::Qualification, Stage::NeedsAnalysis, Stage::Proposal, Stage::Negotiation];
    const ADVANCE: [f64; 4] = [0.72, 0.65, 0.68, 0.62];
    const REASONS: &[&str] = &["price", "competitor", "no budget", "timing", "no decision"];
    let count = volume(options, 1_500.0);
    for _ in 0..count {
        let created = timeline.moment(rng, timeline.start, timeline.end);
        let Some(customer) = existing_at(rng, &buyers, created) else { continue };
        let id = rng.id(created);
        let amount = (rng.lognormal(if customer.company { 25_000.0 } else { 3_000.0 }, 0.8) as i64).max(200) * 100;
        let campaign = campaign_at(company, created).filter(|_| rng.chance(0.3));
        // Walk the funnel: each step passes, skips a stage now and then,
        // or the deal is lost; every step takes days.
        let mut at = created;
        let mut stage_index = 0;
        let mut steps: Vec<(Option<Stage>, Stage, DateTime<Utc>)> = vec![(None, Stage::Qualification, created)];
        let mut outcome = None;
        loop {
            let wait = Duration::seconds((rng.lognormal(9.0, 0.6) * 86_400.0) as i64);
            if at + wait >= timeline.end {
                break;
            }
            at += wait;
            if rng.chance(ADVANCE[stage_index]) {
                let skip = if stage_index < 2 && rng.chance(0.1) { 2 } else { 1 };
                if stage_index + skip >= OPEN.len() {
                    let won = if rng.chance(0.85) { Stage::Won } else { Stage::Lost };
                    steps.push((Some(OPEN[stage_index]), won, at));
                    outcome = Some((won, at));
                    break;
                }
                steps.push((Some(OPEN[stage_index]), OPEN[stage_index + skip], at));
                stage_index += skip;
            } else if rng.chance(0.7) {
                steps.push((Some(OPEN[stage_index]), Stage::Lost, at));
                outcome = Some((Stage::Lost, at));
                break;
            }
        }
        let stage = outcome.map(|(stage, _)| stage).unwrap_or(OPEN[stage_index]);
        let closed = outcome.map(|(_, at)| at);
        let updated = steps.last().map(|(_, _, at)| *at).unwrap_or(created);
        let expected_close = if closed.is_none() {
            Some((timeline.end + Duration::days(rng.between(7, 120))).date_naive())
        } else {
            None
        };
        loader
            .add(
                &mut deals,
                [
                    Value::from(id),
                    Value::from(customer.id),
                    text(&format!("{} order", rng.pick(&["Annual", "Festival", "Office", "Event", "Gift"]))),
                    Value::from(amount),
                    text(stage.as_str()),
                    Value::from(stage.default_probability_bp()),
                    Value::ChronoDate(expected_close),
                    Value::from(customer.owner),
                    opt_id(campaign),
                    opt_ts(closed),
                    opt_text((stage == Stage::Lost).then(|| *rng.pick(REASONS))),
                    ts(created),
                    ts(updated),
                ],
            )
            .await?;
        for (from, to, changed) in steps {
            loader
                .add(
                    &mut history,
                    [
                        Value::from(rng.id(changed)),
                        Value::from(id),
                        opt_text(from.map(|s| s.as_str())),
                        text(to.as_str()),
                        ts(changed),
                        Value::from(customer.owner),
                    ],
                )
                .await?;
        }
        if history.rows() > 20_000 {
            loader.flush(&mut deals).await?;
            loader.flush(&mut history).await?;
        }
    }
    loader.flush(&mut deals).await?;
    loader.flush(&mut history).await
}

async fn activities(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &Company,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "activities",
        &[
            "id",
            "type",
            "direction",
            "customer_id",
            "owner_id",
            "subject",
            "occurred_at",
            "duration_minutes",
            "outcome",
            "created_at",
            "updated_at",
        ],
    );
    const KINDS: &[(&str, f64, &str)] = &[
        ("call", 0.35, "Follow-up call"),
        ("email", 0.30, "Quote sent"),
        ("meeting", 0.12, "Product presentation"),
        ("visit", 0.08, "Customer visit"),
        ("social", 0.10, "WeChat message"),
        ("note", 0.05, "Account note"),
    ];
    let weights: Vec<f64> = KINDS.iter().map(|(_, w, _)| *w).collect();
    let everyone: Vec<&Customer> = company.customers.iter().collect();
    for _ in 0..volume(options, 15_000.0) {
        let at = timeline.moment(rng, timeline.start, timeline.end);
        let Some(customer) = existing_at(rng, &everyone, at) else { continue };
        let (kind, _, subject) = KINDS[rng.weighted(&weights)];
        let duration = match kind {
            "call" => Some(rng.between(2, 40) as i32),
            "meeting" | "visit" => Some(rng.between(30, 120) as i32),
            _ => None,
        };
        loader
            .add(
                &mut batch,
                [
                    Value::from(rng.id(at)),
                    text(kind),
                    opt_text(
                        matches!(kind, "call" | "email" | "social")
                            .then(|| *rng.pick(&["outbound", "outbound", "inbound"])),
                    ),
                    Value::from(customer.id),
                    Value::from(customer.owner),
                    text(subject),
                    ts(at),
                    Value::Int(duration),
                    opt_text(rng.chance(0.5).then(|| *rng.pick(&["interested", "call back", "no answer", "ordered"]))),
                    ts(at),
                    ts(at),
                ],
            )
            .await?;
    }
    loader.flush(&mut batch).await
}

async fn members(loader: &mut Loader<'_>, rng: &mut Rng, company: &Company) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "campaign_members",
        &["id", "campaign_id", "customer_id", "lead_id", "status", "created_at", "updated_at"],
    );
    if company.customers.is_empty() {
        return Ok(());
    }
    for campaign in &company.campaigns {
        let invited = (company.customers.len() / 20).clamp(10, 5_000);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..invited {
            let customer = rng.pick(&company.customers);
            if customer.created >= campaign.start || !seen.insert(customer.id) {
                continue;
            }
            let status = match rng.below(10) {
                0..=5 => "invited",
                6..=8 => "participated",
                _ => "converted",
            };
            let at = campaign.start - Duration::days(rng.between(1, 10));
            loader
                .add(
                    &mut batch,
                    [
                        Value::from(rng.id(at)),
                        Value::from(campaign.id),
                        Value::from(customer.id),
                        opt_id(None),
                        text(status),
                        ts(at),
                        ts(at),
                    ],
                )
                .await?;
        }
        // Leads that came in during the campaign joined it.
        for (lead, created) in
            company.leads.iter().filter(|(_, at)| campaign.start <= *at && *at < campaign.end).take(500)
        {
            loader
                .add(
                    &mut batch,
                    [
                        Value::from(rng.id(*created)),
                        Value::from(campaign.id),
                        opt_id(None),
                        Value::from(*lead),
                        text("participated"),
                        ts(*created),
                        ts(*created),
                    ],
                )
                .await?;
        }
    }
    loader.flush(&mut batch).await
}

async fn tickets(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &Company,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "tickets",
        &[
            "id",
            "customer_id",
            "subject",
            "category",
            "priority",
            "channel",
            "status",
            "assignee_id",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "satisfaction_score",
            "created_at",
            "updated_at",
        ],
    );
    let buyers: Vec<&Customer> = company.customers.iter().filter(|c| c.rate > 0.0).collect();
    if buyers.is_empty() || company.agents.is_empty() {
        return Ok(());
    }
    let priority_weights: Vec<f64> = PRIORITIES.iter().map(|p| p.1).collect();
    // Agents differ: some answer faster.
    let speed: Vec<f64> = company.agents.iter().map(|_| rng.lognormal(1.0, 0.25)).collect();
    for _ in 0..volume(options, 3_000.0) {
        let created = timeline.moment(rng, timeline.start, timeline.end);
        let Some(customer) = existing_at(rng, &buyers, created) else { continue };
        let (priority, _, response_median, resolution_median) = PRIORITIES[rng.weighted(&priority_weights)];
        let category = *rng.pick(TICKET_CATEGORIES);
        let agent_index = rng.below(company.agents.len());
        let assignee = (!rng.chance(0.03)).then(|| company.agents[agent_index].id);
        let slow = speed[agent_index] * if rng.chance(0.1) { 4.0 } else { 1.0 };
        let first = created + Duration::seconds((rng.lognormal(response_median, 0.7) * slow * 60.0) as i64);
        let resolved = first + Duration::seconds((rng.lognormal(resolution_median, 0.8) * slow * 3600.0) as i64);
        let first = (first < timeline.end && assignee.is_some()).then_some(first);
        let resolved = (resolved < timeline.end && first.is_some()).then_some(resolved);
        let closed = resolved.map(|r| r + Duration::days(2)).filter(|c| *c < timeline.end && rng.chance(0.85));
        let status = match (resolved, closed) {
            (_, Some(_)) => "closed",
            (Some(_), None) => "resolved",
            _ if first.is_some() && rng.chance(0.5) => "pending",
            _ => "open",
        };
        let score = resolved.filter(|_| rng.chance(0.55)).map(|resolved| {
            let hours = (resolved - created).num_minutes() as f64 / 60.0;
            let good = hours <= resolution_median * 1.2;
            let base = if good { 4.3 } else { 3.0 };
            (base + rng.normal() * 0.8).round().clamp(1.0, 5.0) as i32
        });
        let updated = closed.or(resolved).or(first).unwrap_or(created);
        loader
            .add(
                &mut batch,
                [
                    Value::from(rng.id(created)),
                    Value::from(customer.id),
                    text(&format!("{} question", category)),
                    text(category),
                    text(priority),
                    text(rng.pick::<&str>(TICKET_CHANNELS)),
                    text(status),
                    opt_id(assignee),
                    opt_ts(first),
                    opt_ts(resolved),
                    opt_ts(closed),
                    Value::Int(score),
                    ts(created),
                    ts(updated),
                ],
            )
            .await?;
    }
    loader.flush(&mut batch).await
}

async fn feedback(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &Company,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "feedback",
        &["id", "customer_id", "score", "comment", "channel", "submitted_at", "created_at", "updated_at"],
    );
    let buyers: Vec<&Customer> = company.customers.iter().filter(|c| c.rate > 0.0).collect();
    if buyers.is_empty() {
        return Ok(());
    }
    for _ in 0..volume(options, 1_000.0) {
        let at = timeline.moment(rng, timeline.start, timeline.end);
        let Some(customer) = existing_at(rng, &buyers, at) else { continue };
        // Satisfaction improves slowly as the service desk grows.
        let progress = (at - timeline.start).num_days() as f64 / timeline.days();
        let score = match rng.unit() {
            x if x < 0.40 + 0.10 * progress => rng.between(9, 10),
            x if x < 0.72 + 0.05 * progress => rng.between(7, 8),
            _ => rng.between(0, 6),
        };
        loader
            .add(
                &mut batch,
                [
                    Value::from(rng.id(at)),
                    Value::from(customer.id),
                    Value::from(score as i32),
                    opt_text((score <= 6).then(|| *rng.pick(&["Slow delivery", "Too expensive", "Packaging damaged"]))),
                    text(rng.pick::<&str>(&["sms", "email", "wechat"])),
                    ts(at),
                    ts(at),
                    ts(at),
                ],
            )
            .await?;
    }
    loader.flush(&mut batch).await
}

async fn tasks(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    options: &Options,
    timeline: &Timeline,
    company: &Company,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "tasks",
        &[
            "id",
            "title",
            "assignee_id",
            "related_type",
            "related_id",
            "due_at",
            "completed_at",
            "status",
            "created_at",
            "updated_at",
        ],
    );
    let people: Vec<&User> = company.sales.iter().chain(&company.agents).chain(&company.managers).collect();
    let everyone: Vec<&Customer> = company.customers.iter().collect();
    for _ in 0..volume(options, 5_000.0) {
        let created = timeline.moment(rng, timeline.start, timeline.end);
        let Some(customer) = existing_at(rng, &everyone, created) else { continue };
        let due = created + Duration::days(rng.between(1, 21));
        let assignee = if rng.chance(0.8) { customer.owner } else { rng.pick(&people).id };
        let (status, completed) = if rng.chance(0.05) {
            ("cancelled", None)
        } else {
            let done = due - Duration::hours(rng.between(-72, 96));
            if done < timeline.end && rng.chance(0.85) { ("done", Some(done.max(created))) } else { ("open", None) }
        };
        loader
            .add(
                &mut batch,
                [
                    Value::from(rng.id(created)),
                    text(rng.pick::<&str>(&[
                        "Call back",
                        "Send quote",
                        "Confirm delivery",
                        "Prepare samples",
                        "Renew contract",
                    ])),
                    Value::from(assignee),
                    text("customer"),
                    Value::from(customer.id),
                    ts(due),
                    opt_ts(completed),
                    text(status),
                    ts(created),
                    ts(completed.unwrap_or(created)),
                ],
            )
            .await?;
    }
    loader.flush(&mut batch).await
}

async fn targets(
    loader: &mut Loader<'_>,
    rng: &mut Rng,
    timeline: &Timeline,
    company: &Company,
    sold: &Sold,
) -> Result<(), sea_orm::DbErr> {
    let mut batch = Batch::new(
        "targets",
        &["id", "owner_id", "team_id", "period", "period_start", "metric", "target_value", "created_at", "updated_at"],
    );
    // A rep's monthly revenue target: the team's average rep over the same
    // month a year before (or the last three months, early on), grown by
    // 10–20 %, rounded to a hundred yuan.
    let first = month_of(timeline.start);
    let last = month_of(timeline.end) + Months::new(3);
    let reps_of = |team: Option<usize>| company.sales.iter().filter(move |r| r.team == team);
    let team_month = |team: Option<usize>, month: NaiveDate| -> f64 {
        let reps: Vec<&User> = reps_of(team).collect();
        let total: i64 = reps.iter().map(|r| sold.get(&(r.id, month)).copied().unwrap_or(0)).sum();
        total as f64 / reps.len().max(1) as f64
    };
    let mut month = first;
    while month < last {
        let at = Utc.from_utc_datetime(&month.and_hms_opt(0, 0, 0).unwrap_or_default());
        let set_at = (at - Duration::days(10)).min(timeline.end - Duration::days(1));
        for rep in &company.sales {
            let year_before = month - Months::new(12);
            let basis = if year_before >= first {
                team_month(rep.team, year_before) * GROWTH_PER_YEAR
            } else {
                let recent: f64 =
                    (1..=3).map(|back| team_month(rep.team, month - Months::new(back))).sum::<f64>() / 3.0;
                if recent > 0.0 { recent } else { team_month(rep.team, month) }
            };
            let value = (basis * rng.lognormal(1.15, 0.08) / 10_000.0).round() as i64 * 10_000;
            if value <= 0 {
                continue;
            }
            loader
                .add(
                    &mut batch,
                    [
                        Value::from(rng.id(set_at)),
                        Value::from(rep.id),
                        opt_id(None),
                        text("month"),
                        Value::from(month),
                        text("revenue"),
                        Value::from(value),
                        ts(set_at),
                        ts(set_at),
                    ],
                )
                .await?;
        }
        month = month + Months::new(1);
    }
    loader.flush(&mut batch).await
}
