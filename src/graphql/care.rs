//! Care work on the API: care tasks and their worklists, complaints with their event
//! log, and the working-day calendar.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{care_task, complaint, complaint_event, customer_referral, survey};

use super::customers::Customer;
use super::enums::{ComplaintSeverity, ComplaintStatus, Department, SurveyKind, TaskKind, TaskOutcome, TaskStatus};
use super::ids::{self, Kind};
use super::links::{customer_of, staff_of, store_of, vehicle_of};
use super::org::{Staff, Store};
use super::service::RepairOrder;
use super::vehicles::Vehicle;
use super::{db, meta, scope};
use crate::domain;
use crate::domain::care::TaskBucket;
use crate::domain::complaints::Step;
use crate::error::AppError;

use super::pagination::worklist_size as row_limit;

/// A piece of care work for one person at one store.
#[derive(Clone)]
pub struct CareTask {
    pub task: care_task::Model,
}

impl CareTask {
    pub fn page(rows: Vec<care_task::Model>) -> Vec<CareTask> {
        rows.into_iter().map(|task| CareTask { task }).collect()
    }
}

#[Object]
impl CareTask {
    async fn id(&self) -> ID {
        ids::global(Kind::CareTask, self.task.id)
    }
    async fn kind(&self) -> TaskKind {
        self.task.kind.into()
    }
    async fn status(&self) -> TaskStatus {
        self.task.status.into()
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.task.store_id).await
    }
    /// Whom to call (null when out of the caller's sight).
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.task.customer_id).await
    }
    async fn vehicle(&self, ctx: &Context<'_>) -> Result<Option<Vehicle>> {
        vehicle_of(ctx, self.task.vehicle_id).await
    }
    async fn assignee(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.task.assignee_id).await
    }
    async fn department(&self) -> Department {
        self.task.department.into()
    }
    /// Not before then.
    async fn start_at(&self) -> DateTime<Utc> {
        self.task.start_at
    }
    async fn due_at(&self) -> DateTime<Utc> {
        self.task.due_at
    }
    async fn outcome(&self) -> Option<TaskOutcome> {
        self.task.outcome.map(Into::into)
    }
    async fn note(&self) -> Option<&str> {
        self.task.note.as_deref()
    }
    async fn done_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.task.done_by).await
    }
    async fn done_at(&self) -> Option<DateTime<Utc>> {
        self.task.done_at
    }
    /// What made the task: delivery, repair_order, insurance_policy, customer, vehicle, complaint.
    async fn source_kind(&self) -> &str {
        &self.task.source_kind
    }
    /// The visit a maintenance or inspection reminder led to: the vehicle's first repair
    /// order within 30 days of the reminder (batched, and only if the caller may see it).
    async fn visit(&self, ctx: &Context<'_>) -> Result<Option<RepairOrder>> {
        use entity::enums::TaskKind as K;
        let (Some(vehicle), true) = (
            self.task.vehicle_id,
            matches!(self.task.kind, K::FirstMaintenance | K::Maintenance | K::AnnualInspection),
        ) else {
            return Ok(None);
        };
        let orders =
            super::loaders::children::<domain::records::Vehicle, entity::repair_order::Entity>(ctx, vehicle).await?;
        Ok(domain::care::visit_after(&self.task, &orders).map(RepairOrder))
    }
}

/// One bucket of a task worklist.
#[derive(SimpleObject)]
pub struct TaskList {
    total: i64,
    tasks: Vec<CareTask>,
}

/// Which tasks.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskBucketArg {
    Overdue,
    DueToday,
    Upcoming,
    Closed,
}

/// A complaint about a store.
pub struct Complaint(pub complaint::Model);

#[Object]
impl Complaint {
    async fn id(&self) -> ID {
        ids::global(Kind::Complaint, self.0.id)
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.0.store_id).await
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.0.customer_id).await
    }
    async fn department(&self) -> Department {
        self.0.department.into()
    }
    async fn category(&self) -> &str {
        &self.0.category
    }
    async fn severity(&self) -> ComplaintSeverity {
        self.0.severity.into()
    }
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    /// As filed: never edited (amendments are events).
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn status(&self) -> ComplaintStatus {
        self.0.status.into()
    }
    async fn filed_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.0.filed_by).await
    }
    async fn filed_at(&self) -> DateTime<Utc> {
        self.0.filed_at
    }
    async fn acknowledge_due_at(&self) -> DateTime<Utc> {
        self.0.acknowledge_due_at
    }
    async fn resolve_due_at(&self) -> DateTime<Utc> {
        self.0.resolve_due_at
    }
    async fn acknowledged_at(&self) -> Option<DateTime<Utc>> {
        self.0.acknowledged_at
    }
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    /// When it went to the group's customer relations by itself.
    async fn escalated_at(&self) -> Option<DateTime<Utc>> {
        self.0.escalated_at
    }
    /// Pass it back to a step to make sure nobody changed the complaint meanwhile.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// Every change, oldest first.
    #[graphql(complexity = "super::customers::LIST_COST * child_complexity")]
    async fn events(&self, ctx: &Context<'_>) -> Result<Vec<ComplaintEvent>> {
        let rows =
            super::loaders::children::<domain::records::Complaint, complaint_event::Entity>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(ComplaintEvent).collect())
    }
}

/// One change of a complaint.
pub struct ComplaintEvent(complaint_event::Model);

#[Object]
impl ComplaintEvent {
    /// FILED, ACKNOWLEDGED, AMENDED, RESOLVED, CLOSED, REOPENED, ESCALATED.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn status_from(&self) -> Option<ComplaintStatus> {
        self.0.status_from.map(Into::into)
    }
    async fn status_to(&self) -> Option<ComplaintStatus> {
        self.0.status_to.map(Into::into)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Null: the hub itself (an escalation).
    async fn by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, self.0.staff_id).await
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

/// A satisfaction survey.
pub struct Survey(pub survey::Model);

/// One dimension's score.
#[derive(SimpleObject)]
pub struct SurveyScore {
    dimension: String,
    score: i32,
}

#[Object]
impl Survey {
    async fn id(&self) -> ID {
        ids::global(Kind::Survey, self.0.id)
    }
    async fn kind(&self) -> SurveyKind {
        self.0.kind.into()
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.0.store_id).await
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.0.customer_id).await
    }
    /// Score 1–10 per dimension.
    async fn scores(&self) -> Vec<SurveyScore> {
        self.0
            .scores
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(d, s)| SurveyScore { dimension: d.clone(), score: s.as_i64().unwrap_or(0) as i32 })
                    .collect()
            })
            .unwrap_or_default()
    }
    /// The weighted index on the 1,000-point scale.
    async fn index(&self) -> i32 {
        self.0.index_points
    }
    /// 0–10: 9–10 promoters, 0–6 detractors (NPS).
    async fn recommend(&self) -> i32 {
        self.0.recommend
    }
    async fn comment(&self) -> Option<&str> {
        self.0.comment.as_deref()
    }
    /// The complaint the low score opened (null when the caller may not read it).
    async fn complaint(&self, ctx: &Context<'_>) -> Result<Option<Complaint>> {
        let Some(id) = self.0.complaint_id else { return Ok(None) };
        // Batched: a list of surveys reads their complaints in one scoped statement.
        Ok(super::loaders::one::<complaint::Entity>(ctx, id).await?.map(Complaint))
    }
    async fn surveyed_by(&self, ctx: &Context<'_>) -> Result<Option<Staff>> {
        staff_of(ctx, Some(self.0.surveyed_by)).await
    }
    async fn surveyed_at(&self) -> DateTime<Utc> {
        self.0.surveyed_at
    }
}

/// A customer brought by another.
pub struct Referral {
    pub row: customer_referral::Model,
    pub converted_on: Option<NaiveDate>,
}

#[Object]
impl Referral {
    async fn referrer(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.row.referrer_id).await
    }
    async fn referred(&self, ctx: &Context<'_>) -> Result<Option<Customer>> {
        customer_of(ctx, self.row.customer_id).await
    }
    async fn store(&self, ctx: &Context<'_>) -> Result<Option<Store>> {
        store_of(ctx, self.row.store_id).await
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.row.recorded_at
    }
    /// The referred customer's delivery day, when it came within 12 months.
    async fn converted_on(&self) -> Option<NaiveDate> {
        self.converted_on
    }
}

/// A day of the working calendar.
#[derive(SimpleObject)]
pub struct CalendarDay {
    day: NaiveDate,
    working: bool,
    /// The administrator's name for a day entered by hand.
    name: Option<String>,
}

#[derive(Default)]
pub struct CareQuery;

#[Object]
impl CareQuery {
    /// Care tasks: the caller's own (store staff), the store's (managers; `assigneeId`
    /// narrows to one person), any store's (group roles). Due-date order; CLOSED newest first.
    #[allow(clippy::too_many_arguments)]
    async fn care_tasks(
        &self,
        ctx: &Context<'_>,
        bucket: TaskBucketArg,
        store_id: Option<ID>,
        assignee_id: Option<ID>,
        kind: Option<TaskKind>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<TaskList> {
        let bucket = match bucket {
            TaskBucketArg::Overdue => TaskBucket::Overdue,
            TaskBucketArg::DueToday => TaskBucket::DueToday,
            TaskBucketArg::Upcoming => TaskBucket::Upcoming,
            TaskBucketArg::Closed => TaskBucket::Closed,
        };
        let store = ids::filter_arg("storeId", Kind::Store, store_id)?;
        let assignee = ids::filter_arg("assigneeId", Kind::Staff, assignee_id)?;
        let (total, rows) = domain::care::worklist(
            db(ctx),
            scope(ctx)?,
            store,
            assignee,
            kind.map(Into::into),
            bucket,
            row_limit(first)?,
        )
        .await?;
        Ok(TaskList { total: total as i64, tasks: CareTask::page(rows) })
    }

    /// Complaints: a store its own, the group's customer relations every store's.
    async fn complaints(
        &self,
        ctx: &Context<'_>,
        status: Option<ComplaintStatus>,
        escalated: Option<bool>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<Complaint>> {
        let rows = domain::complaints::list(db(ctx), scope(ctx)?, status.map(Into::into), escalated, row_limit(first)?)
            .await?;
        Ok(rows.into_iter().map(Complaint).collect())
    }

    /// One complaint.
    async fn complaint(&self, ctx: &Context<'_>, id: ID) -> Result<Complaint> {
        let id = ids::required(Kind::Complaint, &id, "complaint")?;
        Ok(Complaint(domain::complaints::by_id(db(ctx), scope(ctx)?, id).await?))
    }

    /// Satisfaction surveys the caller may see (like complaints), newest first.
    async fn surveys(
        &self,
        ctx: &Context<'_>,
        kind: Option<SurveyKind>,
        #[graphql(default = 50)] first: i32,
    ) -> Result<Vec<Survey>> {
        let rows = domain::surveys::list(db(ctx), scope(ctx)?, kind.map(Into::into), row_limit(first)?).await?;
        Ok(rows.into_iter().map(Survey).collect())
    }

    /// Working days and holidays (China's official schedule, with the days an
    /// administrator entered), at most 400 days.
    async fn working_calendar(&self, ctx: &Context<'_>, from: NaiveDate, to: NaiveDate) -> Result<Vec<CalendarDay>> {
        scope(ctx)?;
        let days = domain::calendar::days(db(ctx), from, to).await?;
        Ok(days.into_iter().map(|(day, working, name)| CalendarDay { day, working, name }).collect())
    }
}

#[derive(InputObject)]
pub struct ComplaintInput {
    customer_id: ID,
    /// Group roles name the store; store staff file for their own.
    store_id: Option<ID>,
    department: Department,
    /// SALES_PROCESS, SERVICE_QUALITY, REPAIR_QUALITY, PRICE, WAITING_TIME,
    /// STAFF_ATTITUDE, PARTS, INSURANCE_CLAIM, OTHER.
    category: String,
    severity: ComplaintSeverity,
    /// STORE, CALL_CENTER, OEM_HOTLINE, SURVEY, ONLINE.
    channel: String,
    description: String,
}

#[derive(InputObject)]
pub struct SurveyScoreInput {
    /// SSI: SALES_INITIATION, FACILITY, DEAL, SALESPERSON, DELIVERY; CSI:
    /// SERVICE_INITIATION, SERVICE_ADVISOR, FACILITY, SERVICE_QUALITY, VEHICLE_PICKUP.
    dimension: String,
    score: i32,
}

#[derive(InputObject)]
pub struct SurveyInput {
    /// The delivery an SSI is about…
    delivery_id: Option<ID>,
    /// …or the repair order a CSI is about.
    repair_order_id: Option<ID>,
    scores: Vec<SurveyScoreInput>,
    /// 0–10, for the NPS.
    recommend: i32,
    comment: Option<String>,
}

#[derive(InputObject)]
pub struct CalendarDayInput {
    day: NaiveDate,
    working: bool,
    /// e.g. 春节, 国庆节补班.
    name: String,
}

#[derive(Default)]
pub struct CareMutation;

fn task_id(id: &ID) -> Result<i32, AppError> {
    ids::required(Kind::CareTask, id, "task")
}

fn complaint_id(id: &ID) -> Result<i32, AppError> {
    ids::required(Kind::Complaint, id, "complaint")
}

impl CareMutation {
    async fn step(
        ctx: &Context<'_>,
        id: ID,
        step: Step,
        note: Option<String>,
        version: Option<i32>,
    ) -> Result<Complaint> {
        let id = complaint_id(&id)?;
        Ok(Complaint(domain::complaints::step(db(ctx), scope(ctx)?, meta(ctx), id, step, note, version).await?))
    }
}

#[Object]
impl CareMutation {
    /// Completes an open task with its outcome (its assignee, or a manager).
    async fn complete_task(
        &self,
        ctx: &Context<'_>,
        id: ID,
        outcome: TaskOutcome,
        note: Option<String>,
    ) -> Result<CareTask> {
        let id = task_id(&id)?;
        let task = domain::care::complete(db(ctx), scope(ctx)?, meta(ctx), id, outcome.into(), note).await?;
        Ok(CareTask { task })
    }

    /// A manager gives an open task to someone of its store.
    async fn assign_task(&self, ctx: &Context<'_>, id: ID, staff_id: ID) -> Result<CareTask> {
        let id = task_id(&id)?;
        let staff = ids::required(Kind::Staff, &staff_id, "staff")?;
        let task = domain::care::assign(db(ctx), scope(ctx)?, meta(ctx), id, staff).await?;
        Ok(CareTask { task })
    }

    /// Files a complaint; its deadlines follow from the severity on working time.
    async fn file_complaint(&self, ctx: &Context<'_>, input: ComplaintInput) -> Result<Complaint> {
        let new = domain::complaints::NewComplaint {
            customer_id: ids::required(Kind::Customer, &input.customer_id, "customer")?,
            store_id: ids::filter_arg("storeId", Kind::Store, input.store_id)?,
            department: input.department.into(),
            category: input.category,
            severity: input.severity.into(),
            channel: input.channel,
            description: input.description,
        };
        Ok(Complaint(domain::complaints::file(db(ctx), scope(ctx)?, meta(ctx), new).await?))
    }

    async fn acknowledge_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
        version: Option<i32>,
    ) -> Result<Complaint> {
        Self::step(ctx, id, Step::Acknowledge, note, version).await
    }

    /// Adds to the description (which is never edited).
    async fn amend_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: String,
        version: Option<i32>,
    ) -> Result<Complaint> {
        Self::step(ctx, id, Step::Amend, Some(note), version).await
    }

    async fn resolve_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        resolution: String,
        version: Option<i32>,
    ) -> Result<Complaint> {
        Self::step(ctx, id, Step::Resolve, Some(resolution), version).await
    }

    /// Closes a resolved complaint, confirmed with the customer.
    async fn close_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        note: Option<String>,
        version: Option<i32>,
    ) -> Result<Complaint> {
        Self::step(ctx, id, Step::Close, note, version).await
    }

    async fn reopen_complaint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
        version: Option<i32>,
    ) -> Result<Complaint> {
        Self::step(ctx, id, Step::Reopen, Some(reason), version).await
    }

    /// Records a satisfaction survey (customer relations only): SSI for a delivery, CSI
    /// for a repair order, every dimension scored 1–10; a low one opens a complaint.
    async fn record_survey(&self, ctx: &Context<'_>, input: SurveyInput) -> Result<Survey> {
        if input.scores.len() > 20 {
            return Err(AppError::bad_input("scores", "five dimensions").into());
        }
        let new = domain::surveys::NewSurvey {
            delivery_id: ids::filter_arg("deliveryId", Kind::Delivery, input.delivery_id)?,
            repair_order_id: ids::filter_arg("repairOrderId", Kind::RepairOrder, input.repair_order_id)?,
            scores: input.scores.into_iter().map(|s| (s.dimension, s.score)).collect(),
            recommend: input.recommend,
            comment: input.comment,
        };
        for (dimension, _) in &new.scores {
            crate::domain::limits::check("scores", dimension, 40)?;
        }
        let settings = ctx.data::<domain::surveys::SurveySettings>()?;
        Ok(Survey(domain::surveys::record(db(ctx), scope(ctx)?, meta(ctx), settings, new).await?))
    }

    /// Records that one customer brought another to the caller's store.
    async fn record_referral(&self, ctx: &Context<'_>, referrer_id: ID, referred_id: ID) -> Result<Referral> {
        let referrer = ids::required(Kind::Customer, &referrer_id, "customer")?;
        let referred = ids::required(Kind::Customer, &referred_id, "customer")?;
        let row = domain::surveys::refer(db(ctx), scope(ctx)?, meta(ctx), referrer, referred).await?;
        Ok(Referral { row, converted_on: None })
    }

    /// Enters days of a published official schedule (group administrator).
    async fn set_calendar_days(&self, ctx: &Context<'_>, days: Vec<CalendarDayInput>) -> Result<i32> {
        let days = days
            .into_iter()
            .map(|d| domain::calendar::DayEntry { day: d.day, working: d.working, name: d.name })
            .collect();
        Ok(domain::calendar::set_days(db(ctx), scope(ctx)?, meta(ctx), days).await? as i32)
    }
}
