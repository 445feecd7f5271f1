//! The group's KPI catalogue: every KPI defined once — its name, terms, definition, unit,
//! dimensions, and the SQL of the facts it counts. The GraphQL `kpi` query, the `bi`
//! views, the CSV download, the dashboard and README's table all read this list.
//!
//! A KPI's facts are rows of one shape, whatever it counts:
//! `store_id, customer_id, day_from, day_to, num, den, grade, channel, reason, department`.
//! A *flow* KPI counts a row in the period holding `day_from`; a *snapshot* KPI counts a
//! row at the end of a period when `day_from <= end < day_to` (no `day_to`: for ever).
//! `num` and `den` are summed per cell; `customer_id` is counted distinct for
//! suppression and never leaves the database. Days are Asia/Shanghai days.
//!
//! Later steps add KPIs here: one entry with its facts, nothing else to change.

use super::dialect::Dialect;

/// What a KPI can be broken down by, besides the period.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dimension {
    Store,
    Brand,
    City,
    Department,
    Grade,
    Channel,
    Reason,
}

impl Dimension {
    pub const ALL: [Dimension; 7] = [
        Dimension::Store,
        Dimension::Brand,
        Dimension::City,
        Dimension::Department,
        Dimension::Grade,
        Dimension::Channel,
        Dimension::Reason,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Dimension::Store => "store",
            Dimension::Brand => "brand",
            Dimension::City => "city",
            Dimension::Department => "department",
            Dimension::Grade => "grade",
            Dimension::Channel => "channel",
            Dimension::Reason => "reason",
        }
    }

    /// Whether the value comes from the store the fact belongs to.
    pub fn of_store(self) -> bool {
        matches!(self, Dimension::Store | Dimension::Brand | Dimension::City)
    }
}

/// How the cell's value follows from its numerator and denominator.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// numerator / denominator, a ratio between 0 and 1.
    Rate,
    /// The numerator, a number of things.
    Count,
    /// The numerator, an amount of yuan.
    Amount,
    /// numerator / denominator, yuan per thing.
    Average,
    /// The cell's numerator over the sum of its siblings' along the share dimension.
    Share(Dimension),
}

impl Measure {
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Rate | Measure::Share(_) => "ratio",
            Measure::Count => "count",
            Measure::Amount | Measure::Average => "CNY",
        }
    }
}

/// Whether the KPI counts events in a period or a state at its end.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Timing {
    Flow,
    Snapshot,
}

/// The configurable parts of the definitions.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Cells counting fewer distinct customers return no value.
    pub min_customers: i64,
    /// The manufacturer's first-maintenance window after delivery, in months.
    pub first_maintenance_months: u32,
    /// The second-maintenance window after the first maintenance, in months.
    pub second_maintenance_months: u32,
    /// Months without a visit after which a base customer counts as lost.
    pub churn_months: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self { min_customers: 5, first_maintenance_months: 6, second_maintenance_months: 6, churn_months: 12 }
    }
}

pub struct Kpi {
    /// The stable name: GraphQL argument, view name, CSV path.
    pub name: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub definition: &'static str,
    pub measure: Measure,
    pub timing: Timing,
    /// The dimensions it can be broken down and filtered by (store-level KPIs also by
    /// store, brand and city).
    pub dimensions: &'static [Dimension],
    pub higher_is_better: bool,
    /// The facts' SQL (see the module documentation).
    pub facts: fn(&Dialect, &Settings) -> String,
}

impl Kpi {
    /// Whether its facts belong to stores (otherwise it is group-wide only).
    pub fn per_store(&self) -> bool {
        self.dimensions.contains(&Dimension::Store)
    }

    pub fn unit(&self) -> &'static str {
        self.measure.unit()
    }
}

pub fn find(name: &str) -> Option<&'static Kpi> {
    CATALOGUE.iter().find(|k| k.name == name)
}

const STORE_DIMS: &[Dimension] = &[Dimension::Store, Dimension::Brand, Dimension::City];

pub static CATALOGUE: &[Kpi] = &[
    Kpi {
        name: "lead_conversion_rate",
        zh: "线索转化率",
        en: "Lead conversion rate",
        definition: "Leads won divided by leads closed (won or defeated) in the period, counted on the \
                     Asia/Shanghai day the lead was closed, at the group's own stores. Broken down by the \
                     grade the lead had when it was created and by its source channel.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Grade, Dimension::Channel],
        higher_is_better: true,
        facts: lead_closed,
    },
    Kpi {
        name: "lead_defeat_reasons",
        zh: "战败原因占比",
        en: "Defeated-lead reasons",
        definition: "Of the leads defeated in the period (by the Asia/Shanghai day they were closed), the \
                     share lost for each reason; numerator: defeated leads with the reason, denominator: all \
                     defeated leads of the same store, brand or city in the period.",
        measure: Measure::Share(Dimension::Reason),
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Reason],
        higher_is_better: false,
        facts: lead_defeated,
    },
    Kpi {
        name: "first_response_on_time_rate",
        zh: "线索首次响应及时率",
        en: "First response on time",
        definition: "Of the leads from outside (the OEM, the website, reception, another store) whose \
                     first-response deadline fell in the period (counted once the deadline's day is over, or \
                     earlier when answered), the share first followed up by the deadline; the deadline is \
                     the store's first-response minutes of opening hours (default 60).",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Grade, Dimension::Channel],
        higher_is_better: true,
        facts: first_response,
    },
    Kpi {
        name: "follow_up_on_time_rate",
        zh: "线索跟进及时率",
        en: "Follow-ups on time",
        definition: "Of the follow-ups recorded against a due follow-up whose Asia/Shanghai day fell in the \
                     period, the share recorded by the end of that day.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: follow_up_on_time,
    },
    Kpi {
        name: "lead_conflict_attempts",
        zh: "撞单次数",
        en: "撞单 attempts",
        definition: "Attempts in the period to open a second lead for a customer who had an open, protected \
                     lead at the store (refused with CONFLICT and recorded for the manager).",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: false,
        facts: lead_conflicts,
    },
    Kpi {
        name: "referral_acceptance_rate",
        zh: "线索转介接受率",
        en: "Referred leads accepted",
        definition: "Of the leads a store offered to partner or sister stores in the period (by the day of \
                     the offer; offers still waiting are not counted), the share accepted. Counted for the \
                     offering store.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Grade],
        higher_is_better: true,
        facts: referral_acceptance,
    },
    Kpi {
        name: "referral_win_rate",
        zh: "转介线索成交率",
        en: "Referred leads won",
        definition: "Of the leads accepted from another store that the receiving store closed in the period \
                     (won or defeated, by the day closed), the share won; attributed to the referring store.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Grade],
        higher_is_better: true,
        facts: referral_won,
    },
    Kpi {
        name: "care_calls_on_time_rate",
        zh: "关怀回访及时率",
        en: "Care calls on time",
        definition: "Of the care calls due in the period (the consultant's call within one working day of a \
                     delivery, the customer-relations calls 3–5 working days after a delivery and 3 working \
                     days after service; by the Asia/Shanghai day due, once that day is over), the share done \
                     by the due time.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Department],
        higher_is_better: true,
        facts: care_calls_on_time,
    },
    Kpi {
        name: "reminder_visit_rate",
        zh: "提醒到店率",
        en: "Reminders that led to a visit",
        definition: "Of the maintenance and annual-inspection reminders made in the period (counted once 30 \
                     days have passed, or earlier when the car came), the share whose vehicle had a repair \
                     order at a group store within 30 days of the reminder.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: reminder_visits,
    },
    Kpi {
        name: "complaints_filed",
        zh: "投诉量",
        en: "Complaints filed",
        definition: "Complaints filed in the period (by the Asia/Shanghai day filed), by store and department.",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Department],
        higher_is_better: false,
        facts: complaints_filed,
    },
    Kpi {
        name: "complaints_resolved_on_time_rate",
        zh: "投诉按时解决率",
        en: "Complaints resolved on time",
        definition: "Of the complaints resolved in the period (by the day resolved), the share resolved by the \
                     deadline their severity set (1, 2, 5 or 10 working days).",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Department],
        higher_is_better: true,
        facts: complaints_resolved_on_time,
    },
    Kpi {
        name: "complaint_escalations",
        zh: "投诉升级次数",
        en: "Complaint escalations",
        definition: "Complaints that went to the group's customer relations by themselves in the period \
                     (a deadline missed), by the day escalated.",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Department],
        higher_is_better: false,
        facts: complaint_escalations,
    },
    Kpi {
        name: "ssi_index",
        zh: "销售满意度SSI",
        en: "Sales satisfaction (SSI)",
        definition: "The average SSI index of the surveys done in the period, as a share of the 1,000-point \
                     maximum (dimensions weighted as J.D. Power China: sales initiation 21 %, facility 19 %, \
                     deal 20 %, salesperson 17 %, delivery 23 %; HUB_SURVEY_SSI_WEIGHTS).",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: ssi_index,
    },
    Kpi {
        name: "csi_index",
        zh: "售后满意度CSI",
        en: "Service satisfaction (CSI)",
        definition: "The average CSI index of the surveys done in the period, as a share of the 1,000-point \
                     maximum (service initiation 17 %, service advisor 18 %, facility 21 %, service quality \
                     24 %, vehicle pick-up 21 %; HUB_SURVEY_CSI_WEIGHTS).",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: csi_index,
    },
    Kpi {
        name: "net_promoter_score",
        zh: "净推荐值NPS",
        en: "Net promoter score",
        definition: "Of the surveys done in the period, promoters (recommendation 9–10) minus detractors \
                     (0–6), as a share of all surveys.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: nps,
    },
    Kpi {
        name: "referrals_converted",
        zh: "转介绍成交数",
        en: "Referrals converted",
        definition: "Referred customers who took delivery of a car within 12 months of the referral, counted \
                     on the day of that delivery, for the store that recorded the referral.",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: referrals_converted,
    },
    Kpi {
        name: "first_maintenance_return_rate",
        zh: "首保回厂率",
        en: "First-maintenance return rate",
        definition: "Of the vehicles delivered by a group store whose first-maintenance window (the \
                     manufacturer's months after delivery, HUB_KPI_FIRST_MAINTENANCE_MONTHS, default 6) ended \
                     in the period, the share that had a maintenance visit at any group store within the \
                     window. Counted for the delivering store; windows still open are not counted.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: first_maintenance,
    },
    Kpi {
        name: "second_maintenance_return_rate",
        zh: "二保回厂率",
        en: "Second-maintenance return rate",
        definition: "Of the vehicles that came back for their first maintenance, those whose \
                     second-maintenance window (HUB_KPI_SECOND_MAINTENANCE_MONTHS after the first visit, \
                     default 6) ended in the period, the share that had another maintenance visit at a group \
                     store within it. Counted for the delivering store.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: second_maintenance,
    },
    Kpi {
        name: "insurance_renewal_rate",
        zh: "续保率",
        en: "Insurance renewal rate",
        definition: "Of the policies sold by a group store that end in the period, the share renewed at a \
                     group store: a policy recorded as its renewal, or a later policy of the same vehicle \
                     starting no later than 31 days after it ended. Counted for the store of the ending policy.",
        measure: Measure::Rate,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: insurance_renewal,
    },
    Kpi {
        name: "churn_rate",
        zh: "流失率",
        en: "Churn rate",
        definition: "At the end of the period (or today, for the current one): the store's base customers \
                     — who bought a car or had a service visit there — with no purchase or visit there for \
                     HUB_KPI_CHURN_MONTHS (default 12), divided by all of the store's base customers. A \
                     customer of two stores is counted at each.",
        measure: Measure::Rate,
        timing: Timing::Snapshot,
        dimensions: STORE_DIMS,
        higher_is_better: false,
        facts: churn_with_base,
    },
    Kpi {
        name: "churned_customers",
        zh: "流失客户数",
        en: "Churned customers",
        definition: "At the end of the period: the store's base customers with no purchase or service visit \
                     there for HUB_KPI_CHURN_MONTHS (default 12) — the numerator of the churn rate.",
        measure: Measure::Count,
        timing: Timing::Snapshot,
        dimensions: STORE_DIMS,
        higher_is_better: false,
        facts: churned_only,
    },
    Kpi {
        name: "active_base",
        zh: "有效保有客户数",
        en: "Active base",
        definition: "At the end of the period: the store's base customers who bought a car or had a service \
                     visit there within the last HUB_KPI_CHURN_MONTHS (default 12).",
        measure: Measure::Count,
        timing: Timing::Snapshot,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: active_base,
    },
    Kpi {
        name: "new_customers",
        zh: "新增保有客户数",
        en: "New base customers",
        definition: "Customers whose first purchase or service visit at the store fell in the period.",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: new_customers,
    },
    Kpi {
        name: "revenue",
        zh: "营业收入",
        en: "Revenue",
        definition: "Yuan booked in the period at the group's stores, by department: new-car sales (delivery \
                     price, on the delivery day), service (repair order amount, on the day it closed, or \
                     opened while open), parts (order amount, order day) and insurance (premium, on the day \
                     the policy starts).",
        measure: Measure::Amount,
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Department],
        higher_is_better: true,
        facts: revenue,
    },
    Kpi {
        name: "revenue_mix",
        zh: "收入结构",
        en: "Revenue mix",
        definition: "Each department's share of the period's revenue (new cars : parts : service : insurance \
                     premium), the revenue KPI's amounts over their sum for the same store, brand or city.",
        measure: Measure::Share(Dimension::Department),
        timing: Timing::Flow,
        dimensions: &[Dimension::Store, Dimension::Brand, Dimension::City, Dimension::Department],
        higher_is_better: true,
        facts: revenue,
    },
    Kpi {
        name: "average_repair_order_value",
        zh: "单车产值",
        en: "Average repair-order value",
        definition: "Yuan of the repair orders of the period (by the day they closed, or opened while open) \
                     divided by their number.",
        measure: Measure::Average,
        timing: Timing::Flow,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: repair_orders,
    },
    Kpi {
        name: "multi_touch_rate",
        zh: "跨店跨部门客户占比",
        en: "Customers known to more than one store or department",
        definition: "At the end of the period: of the store's customers (any lead, purchase, visit, policy or \
                     parts order there), the share known by then to more than one store or department of the \
                     group — what only a unified customer file can see.",
        measure: Measure::Rate,
        timing: Timing::Snapshot,
        dimensions: STORE_DIMS,
        higher_is_better: true,
        facts: multi_touch,
    },
    Kpi {
        name: "duplicates_found",
        zh: "发现重复客户数",
        en: "Duplicates found",
        definition: "Possible duplicate customer pairs the identity resolution queued for review in the \
                     period. Group-wide.",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: &[],
        higher_is_better: true,
        facts: duplicates_found,
    },
    Kpi {
        name: "duplicates_merged",
        zh: "合并重复客户数",
        en: "Duplicates merged",
        definition: "Customer records merged into another in the period (merges later undone are not \
                     counted). Group-wide.",
        measure: Measure::Count,
        timing: Timing::Flow,
        dimensions: &[],
        higher_is_better: true,
        facts: duplicates_merged,
    },
];

/// One fact row's select list. `dims` gives `grade, channel, reason, department` (NULL
/// where absent).
fn row(
    d: &Dialect,
    (store, customer): (&str, &str),
    (from, to): (&str, Option<&str>),
    (num, den): (&str, &str),
    dims: [Option<&str>; 4],
) -> String {
    let [grade, channel, reason, department] = dims.map(|v| v.map_or("CAST(NULL AS TEXT)".to_owned(), |v| d.text(v)));
    format!(
        "SELECT {store} AS store_id, {customer} AS customer_id, {from} AS day_from, {} AS day_to, {num} AS num, \
         {den} AS den, {grade} AS grade, {channel} AS channel, {reason} AS reason, {department} AS department",
        to.unwrap_or(d.null_date())
    )
}

const MAINTENANCE: &str = "('FIRST_MAINTENANCE', 'MAINTENANCE')";

fn lead_closed(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("l.store_id", "l.customer_id"),
        (&d.day("l.closed_at"), None),
        ("CASE WHEN l.status = 'WON' THEN 1 ELSE 0 END", "1"),
        [Some("COALESCE(l.created_grade, l.grade)"), Some("COALESCE(l.channel, '(unknown)')"), None, Some("'SALES'")],
    );
    format!("{select} FROM lead l WHERE l.status IN ('WON', 'DEFEATED') AND l.closed_at IS NOT NULL")
}

fn lead_defeated(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("l.store_id", "l.customer_id"),
        (&d.day("l.closed_at"), None),
        ("1", "1"),
        [
            Some("COALESCE(l.created_grade, l.grade)"),
            Some("COALESCE(l.channel, '(unknown)')"),
            Some("COALESCE(l.defeat_reason, '(unknown)')"),
            Some("'SALES'"),
        ],
    );
    format!("{select} FROM lead l WHERE l.status = 'DEFEATED' AND l.closed_at IS NOT NULL")
}

fn first_response(d: &Dialect, _: &Settings) -> String {
    let due = d.day("l.first_response_due_at");
    let select = row(
        d,
        ("l.store_id", "l.customer_id"),
        (&due, None),
        (
            "CASE WHEN l.first_contacted_at IS NOT NULL AND l.first_contacted_at <= l.first_response_due_at \
             THEN 1 ELSE 0 END",
            "1",
        ),
        [Some("COALESCE(l.created_grade, l.grade)"), Some("COALESCE(l.channel, '(unknown)')"), None, Some("'SALES'")],
    );
    format!(
        "{select} FROM lead l WHERE l.first_response_due_at IS NOT NULL AND (l.first_contacted_at IS NOT NULL \
         OR {due} < {})",
        d.today()
    )
}

fn follow_up_on_time(d: &Dialect, _: &Settings) -> String {
    let due = d.day("f.due_at");
    let select = row(
        d,
        ("f.store_id", "l.customer_id"),
        (&due, None),
        (&format!("CASE WHEN {} <= {due} THEN 1 ELSE 0 END", d.day("f.created_at")), "1"),
        [None, None, None, Some("'SALES'")],
    );
    format!("{select} FROM lead_follow_up f JOIN lead l ON l.id = f.lead_id WHERE f.due_at IS NOT NULL")
}

fn lead_conflicts(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("c.store_id", "l.customer_id"),
        (&d.day("c.created_at"), None),
        ("1", "1"),
        [None, None, None, Some("'SALES'")],
    );
    format!("{select} FROM lead_conflict c JOIN lead l ON l.id = c.lead_id")
}

fn referral_acceptance(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("o.from_store_id", "l.customer_id"),
        (&d.day("o.created_at"), None),
        ("CASE WHEN o.status = 'ACCEPTED' THEN 1 ELSE 0 END", "1"),
        [Some("l.grade"), None, None, Some("'SALES'")],
    );
    format!(
        "{select} FROM lead_offer o JOIN lead l ON l.id = o.lead_id WHERE o.status <> 'OFFERED' OR {} < {}",
        d.day("o.expires_at"),
        d.today()
    )
}

fn referral_won(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("r.referred_by_store_id", "r.customer_id"),
        (&d.day("r.closed_at"), None),
        ("CASE WHEN r.status = 'WON' THEN 1 ELSE 0 END", "1"),
        [Some("COALESCE(r.created_grade, r.grade)"), None, None, Some("'SALES'")],
    );
    format!(
        "{select} FROM lead r WHERE r.offer_id IS NOT NULL AND r.referred_by_store_id IS NOT NULL \
         AND r.status IN ('WON', 'DEFEATED') AND r.closed_at IS NOT NULL"
    )
}

fn care_calls_on_time(d: &Dialect, _: &Settings) -> String {
    let due = d.day("t.due_at");
    let select = row(
        d,
        ("t.store_id", "t.customer_id"),
        (&due, None),
        ("CASE WHEN t.status = 'DONE' AND t.done_at <= t.due_at THEN 1 ELSE 0 END", "1"),
        [None, None, None, Some("t.department")],
    );
    format!(
        "{select} FROM care_task t WHERE t.kind IN ('DELIVERY_CALL', 'DELIVERY_RELATIONS_CALL', \
         'SERVICE_RELATIONS_CALL') AND t.status <> 'CANCELLED' AND {due} < {}",
        d.today()
    )
}

fn reminder_visits(d: &Dialect, _: &Settings) -> String {
    let start = d.day("t.created_at");
    let until = d.add_days(&start, 30);
    let came = format!(
        "EXISTS (SELECT 1 FROM repair_order r WHERE r.vehicle_id = t.vehicle_id AND {} >= {start} AND {} <= {until})",
        d.day("r.opened_at"),
        d.day("r.opened_at")
    );
    let select = row(
        d,
        ("t.store_id", "t.customer_id"),
        (&start, None),
        (&format!("CASE WHEN {came} THEN 1 ELSE 0 END"), "1"),
        [None, None, None, Some("'SERVICE'")],
    );
    format!(
        "{select} FROM care_task t WHERE t.kind IN ('FIRST_MAINTENANCE', 'MAINTENANCE', 'ANNUAL_INSPECTION') \
         AND t.vehicle_id IS NOT NULL AND t.status <> 'CANCELLED' AND ({until} < {} OR {came})",
        d.today()
    )
}

fn complaints_filed(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("c.store_id", "c.customer_id"),
        (&d.day("c.filed_at"), None),
        ("1", "1"),
        [None, None, None, Some("c.department")],
    );
    format!("{select} FROM complaint c")
}

fn complaints_resolved_on_time(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("c.store_id", "c.customer_id"),
        (&d.day("c.resolved_at"), None),
        ("CASE WHEN c.resolved_at <= c.resolve_due_at THEN 1 ELSE 0 END", "1"),
        [None, None, None, Some("c.department")],
    );
    format!("{select} FROM complaint c WHERE c.resolved_at IS NOT NULL")
}

fn complaint_escalations(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("c.store_id", "c.customer_id"),
        (&d.day("c.escalated_at"), None),
        ("1", "1"),
        [None, None, None, Some("c.department")],
    );
    format!("{select} FROM complaint c WHERE c.escalated_at IS NOT NULL")
}

fn survey_index(d: &Dialect, kind: &str) -> String {
    let select = row(
        d,
        ("s.store_id", "s.customer_id"),
        (&d.day("s.surveyed_at"), None),
        ("s.index_points / 1000.0", "1"),
        [None, None, None, Some(if kind == "SSI" { "'SALES'" } else { "'SERVICE'" })],
    );
    format!("{select} FROM survey s WHERE s.kind = '{kind}'")
}

fn ssi_index(d: &Dialect, _: &Settings) -> String {
    survey_index(d, "SSI")
}

fn csi_index(d: &Dialect, _: &Settings) -> String {
    survey_index(d, "CSI")
}

fn nps(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("s.store_id", "s.customer_id"),
        (&d.day("s.surveyed_at"), None),
        ("CASE WHEN s.recommend >= 9 THEN 1 WHEN s.recommend <= 6 THEN -1 ELSE 0 END", "1"),
        [None, None, None, None],
    );
    format!("{select} FROM survey s")
}

fn referrals_converted(d: &Dialect, _: &Settings) -> String {
    let recorded = d.day("r.recorded_at");
    let converted = format!(
        "(SELECT MIN(dl.delivered_on) FROM delivery dl WHERE dl.customer_id = r.customer_id \
         AND dl.delivered_on >= {recorded} AND dl.delivered_on <= {})",
        d.add_months(&recorded, 12)
    );
    let inner =
        row(d, ("r.store_id", "r.customer_id"), (&converted, None), ("1", "1"), [None, None, None, Some("'SALES'")]);
    format!("SELECT * FROM ({inner} FROM customer_referral r) x WHERE x.day_from IS NOT NULL")
}

/// A maintenance visit of `vehicle` at a group store between two day expressions.
fn visited(d: &Dialect, vehicle: &str, after: &str, until: &str) -> String {
    let day = d.day("r.opened_at");
    format!(
        "EXISTS (SELECT 1 FROM repair_order r JOIN store rs ON rs.id = r.store_id AND rs.kind = 'OWN' \
         WHERE r.vehicle_id = {vehicle} AND r.kind IN {MAINTENANCE} AND {day} {after} AND {day} <= {until})"
    )
}

fn first_maintenance(d: &Dialect, s: &Settings) -> String {
    let end = d.add_months("d.delivered_on", s.first_maintenance_months);
    let came = visited(d, "d.vehicle_id", ">= d.delivered_on", &end);
    let select = row(
        d,
        ("d.store_id", "d.customer_id"),
        (&end, None),
        (&format!("CASE WHEN {came} THEN 1 ELSE 0 END"), "1"),
        [None, None, None, Some("'SERVICE'")],
    );
    format!("{select} FROM delivery d WHERE {end} <= {}", d.today())
}

fn second_maintenance(d: &Dialect, s: &Settings) -> String {
    let day = d.day("r.opened_at");
    let first_end = d.add_months("d.delivered_on", s.first_maintenance_months);
    let end = d.add_months("fm.first_day", s.second_maintenance_months);
    let came = visited(d, "fm.vehicle_id", "> fm.first_day", &end);
    let select = row(
        d,
        ("fm.store_id", "fm.customer_id"),
        (&end, None),
        (&format!("CASE WHEN {came} THEN 1 ELSE 0 END"), "1"),
        [None, None, None, Some("'SERVICE'")],
    );
    format!(
        "{select} FROM (SELECT d.store_id, d.customer_id, d.vehicle_id, MIN({day}) AS first_day FROM delivery d \
         JOIN repair_order r ON r.vehicle_id = d.vehicle_id AND r.kind IN {MAINTENANCE} \
         JOIN store rs ON rs.id = r.store_id AND rs.kind = 'OWN' \
         WHERE {day} >= d.delivered_on AND {day} <= {first_end} \
         GROUP BY d.store_id, d.customer_id, d.vehicle_id) fm WHERE {end} <= {}",
        d.today()
    )
}

fn insurance_renewal(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("p.store_id", "p.customer_id"),
        ("p.ends_on", None),
        (
            &format!(
                "CASE WHEN EXISTS (SELECT 1 FROM insurance_policy n JOIN store ns ON ns.id = n.store_id AND \
                 ns.kind = 'OWN' WHERE n.id <> p.id AND (n.renewal_of = p.id OR (n.vehicle_id = p.vehicle_id \
                 AND n.starts_on > p.starts_on AND n.starts_on <= {}))) THEN 1 ELSE 0 END",
                d.add_days("p.ends_on", 31)
            ),
            "1",
        ),
        [None, None, None, Some("'INSURANCE'")],
    );
    format!("{select} FROM insurance_policy p")
}

/// Purchases and service visits per store and customer, one row per day, each with
/// the day of the next (`x.day`, `x.next_day`).
fn visits(d: &Dialect) -> String {
    format!(
        "(SELECT v.store_id, v.customer_id, v.day, LEAD(v.day) OVER (PARTITION BY v.store_id, v.customer_id \
         ORDER BY v.day) AS next_day FROM (SELECT store_id, customer_id, delivered_on AS day FROM delivery UNION \
         SELECT store_id, customer_id, {} FROM repair_order) v) x",
        d.day("opened_at")
    )
}

/// Churn intervals: from `churn_months` after a visit until the next visit.
fn churn_intervals(d: &Dialect, s: &Settings) -> String {
    let lapse = d.add_months("x.day", s.churn_months);
    let select = row(d, ("x.store_id", "x.customer_id"), (&lapse, Some("x.next_day")), ("1", "0"), [None; 4]);
    format!("{select} FROM {} WHERE x.next_day IS NULL OR x.next_day > {lapse}", visits(d))
}

fn churn_with_base(d: &Dialect, s: &Settings) -> String {
    let base = row(d, ("b.store_id", "b.customer_id"), ("b.since", None), ("0", "1"), [None; 4]);
    format!(
        "{} UNION ALL {base} FROM (SELECT x.store_id, x.customer_id, MIN(x.day) AS since FROM {} \
         GROUP BY x.store_id, x.customer_id) b",
        churn_intervals(d, s),
        visits(d)
    )
}

fn churned_only(d: &Dialect, s: &Settings) -> String {
    churn_intervals(d, s)
}

fn active_base(d: &Dialect, s: &Settings) -> String {
    let lapse = d.add_months("x.day", s.churn_months);
    let until = d.least(&lapse, &format!("COALESCE(x.next_day, {lapse})"));
    let select = row(d, ("x.store_id", "x.customer_id"), ("x.day", Some(&until)), ("1", "1"), [None; 4]);
    format!("{select} FROM {}", visits(d))
}

fn new_customers(d: &Dialect, _: &Settings) -> String {
    let select = row(d, ("x.store_id", "x.customer_id"), ("MIN(x.day)", None), ("1", "1"), [None; 4]);
    format!("{select} FROM {} GROUP BY x.store_id, x.customer_id", visits(d))
}

fn revenue(d: &Dialect, _: &Settings) -> String {
    let part = |table: &str, day: &str, amount: &str, dept: &str| {
        let select = row(
            d,
            ("store_id", "customer_id"),
            (day, None),
            (&format!("{amount} / 100.0"), "1"),
            [None, None, None, Some(&format!("'{dept}'"))],
        );
        format!("{select} FROM {table}")
    };
    [
        part("delivery", "delivered_on", "price_cents", "SALES"),
        part("repair_order", &d.day("COALESCE(closed_at, opened_at)"), "amount_cents", "SERVICE"),
        part("parts_order", "ordered_on", "amount_cents", "PARTS"),
        part("insurance_policy", "starts_on", "premium_cents", "INSURANCE"),
    ]
    .join(" UNION ALL ")
}

fn repair_orders(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("store_id", "customer_id"),
        (&d.day("COALESCE(closed_at, opened_at)"), None),
        ("amount_cents / 100.0", "1"),
        [None, None, None, Some("'SERVICE'")],
    );
    format!("{select} FROM repair_order")
}

fn multi_touch(d: &Dialect, _: &Settings) -> String {
    // Each customer's first day per (store, department) at the group's own stores.
    let touches = format!(
        "(SELECT a.customer_id, a.store_id, a.dept, MIN(a.day) AS first_day FROM (\
         SELECT customer_id, store_id, 'SALES' AS dept, {} AS day FROM lead \
         UNION ALL SELECT customer_id, store_id, 'SALES', delivered_on FROM delivery \
         UNION ALL SELECT customer_id, store_id, 'SERVICE', {} FROM repair_order \
         UNION ALL SELECT customer_id, store_id, 'INSURANCE', starts_on FROM insurance_policy \
         UNION ALL SELECT customer_id, store_id, 'PARTS', ordered_on FROM parts_order) a \
         JOIN store ts ON ts.id = a.store_id AND ts.kind = 'OWN' GROUP BY a.customer_id, a.store_id, a.dept)",
        d.day("created_at"),
        d.day("opened_at")
    );
    let since = format!(
        "(SELECT t.customer_id, t.store_id, MIN(t.first_day) AS since FROM {touches} t GROUP BY t.customer_id, t.store_id)"
    );
    // The day a customer's second (store, department) began.
    let second = format!(
        "(SELECT r.customer_id, r.first_day AS multi_day FROM (SELECT t.customer_id, t.first_day, ROW_NUMBER() \
         OVER (PARTITION BY t.customer_id ORDER BY t.first_day, t.store_id, t.dept) AS rn FROM {touches} t) r \
         WHERE r.rn = 2)"
    );
    let base = row(d, ("cs.store_id", "cs.customer_id"), ("cs.since", None), ("0", "1"), [None; 4]);
    let multi_from = d.greatest("cs.since", "m.multi_day");
    let multi = row(d, ("cs.store_id", "cs.customer_id"), (&multi_from, None), ("1", "0"), [None; 4]);
    format!(
        "{base} FROM {since} cs UNION ALL {multi} FROM {since} cs JOIN {second} m ON m.customer_id = cs.customer_id"
    )
}

fn duplicates_found(d: &Dialect, _: &Settings) -> String {
    let select = row(d, ("CAST(NULL AS INTEGER)", "customer_a"), (&d.day("created_at"), None), ("1", "1"), [None; 4]);
    format!("{select} FROM duplicate_candidate")
}

fn duplicates_merged(d: &Dialect, _: &Settings) -> String {
    let select = row(
        d,
        ("CAST(NULL AS INTEGER)", "survivor_id"),
        (&d.day("merged_at"), None),
        ("json_array_length(merged_ids)", "1"),
        [None; 4],
    );
    format!("{select} FROM merge_event WHERE undone_at IS NULL")
}

/// The catalogue as a Markdown table, as README.md shows it.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| name | 中文 | KPI | unit | timing | dimensions | better | definition |\n|---|---|---|---|---|---|---|---|\n",
    );
    for k in CATALOGUE {
        let dims: Vec<&str> = k.dimensions.iter().map(|d| d.name()).collect();
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            k.name,
            k.zh,
            k.en,
            k.unit(),
            match k.timing {
                Timing::Flow => "flow",
                Timing::Snapshot => "snapshot",
            },
            if dims.is_empty() { "group only".to_owned() } else { dims.join(", ") },
            if k.higher_is_better { "higher" } else { "lower" },
            k.definition.replace('|', "\\|"),
        ));
    }
    out
}
