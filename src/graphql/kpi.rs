//! KPIs for the apps: the catalogue and one KPI by any of its dimensions and a period.
//! Aggregates only — no field here leads to a customer.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::{db, scope};
use crate::domain::kpi::{self, Cell, Dimension, Grain, Kpi, KpiAnswer, KpiQuery, Settings, Timing};

/// What a KPI can be broken down and filtered by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::Dimension")]
pub enum KpiDimension {
    Store,
    Brand,
    City,
    Department,
    Grade,
    Channel,
    Reason,
}

/// Periods of the Asia/Shanghai calendar (weeks start on Monday).
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::domain::kpi::Grain")]
pub enum KpiPeriod {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// One KPI of the group's catalogue.
pub struct KpiDefinition(pub &'static Kpi);

#[Object]
impl KpiDefinition {
    /// The stable name, as `kpi(name:)`, the `bi` views and the CSV download use it.
    async fn name(&self) -> &str {
        self.0.name
    }
    /// The Chinese term.
    async fn zh(&self) -> &str {
        self.0.zh
    }
    /// The English term.
    async fn en(&self) -> &str {
        self.0.en
    }
    /// Numerator, denominator, which records, which dates.
    async fn definition(&self) -> &str {
        self.0.definition
    }
    /// `ratio` (0–1), `count` or `CNY`.
    async fn unit(&self) -> &str {
        self.0.unit()
    }
    /// `FLOW` (events in the period) or `SNAPSHOT` (the state at the period's end).
    async fn timing(&self) -> &str {
        match self.0.timing {
            Timing::Flow => "FLOW",
            Timing::Snapshot => "SNAPSHOT",
        }
    }
    async fn dimensions(&self) -> Vec<KpiDimension> {
        self.0.dimensions.iter().map(|d| (*d).into()).collect()
    }
    async fn higher_is_better(&self) -> bool {
        self.0.higher_is_better
    }
}

/// Keeps only the facts with these values (each list: any of its values).
#[derive(InputObject, Default)]
pub struct KpiFilter {
    /// Store codes.
    stores: Option<Vec<String>>,
    brands: Option<Vec<String>>,
    cities: Option<Vec<String>>,
    departments: Option<Vec<String>>,
    grades: Option<Vec<String>>,
    channels: Option<Vec<String>>,
    reasons: Option<Vec<String>>,
}

impl KpiFilter {
    fn into_domain(self) -> kpi::Filter {
        let mut values = BTreeMap::new();
        for (dim, list) in [
            (Dimension::Store, self.stores),
            (Dimension::Brand, self.brands),
            (Dimension::City, self.cities),
            (Dimension::Department, self.departments),
            (Dimension::Grade, self.grades),
            (Dimension::Channel, self.channels),
            (Dimension::Reason, self.reasons),
        ] {
            if let Some(list) = list {
                values.insert(dim, list);
            }
        }
        kpi::Filter { values }
    }
}

/// The value of one grouped dimension in a cell.
#[derive(SimpleObject)]
pub struct KpiDimensionValue {
    dimension: KpiDimension,
    /// The value (a store's code for STORE).
    value: String,
    /// What people read (a store's name for STORE).
    label: String,
}

/// One cell: a period and one value per grouped dimension. A suppressed cell counts
/// fewer customers than the privacy threshold (or would reveal one that does) and shows
/// no figures.
#[derive(SimpleObject)]
pub struct KpiCell {
    period_start: NaiveDate,
    period_end: NaiveDate,
    dimensions: Vec<KpiDimensionValue>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    /// A ratio (0–1), a count or yuan, as the KPI's unit says.
    value: Option<f64>,
    /// Distinct customers counted.
    customers: Option<i64>,
    suppressed: bool,
    /// The value of the period before.
    previous_value: Option<f64>,
    /// The value of the same period a year earlier.
    year_earlier_value: Option<f64>,
}

/// A KPI broken down by the asked dimensions, per period.
pub struct KpiResult(KpiAnswer, KpiPeriod);

fn cell(answer: &KpiAnswer, c: &Cell) -> KpiCell {
    KpiCell {
        period_start: c.period.start,
        period_end: c.period.end,
        dimensions: answer
            .group_by
            .iter()
            .zip(&c.dims)
            .map(|(dim, value)| KpiDimensionValue {
                dimension: (*dim).into(),
                value: value.clone(),
                label: match dim {
                    Dimension::Store => answer.store_names.get(value).cloned().unwrap_or_else(|| value.clone()),
                    _ => value.clone(),
                },
            })
            .collect(),
        numerator: c.numerator,
        denominator: c.denominator,
        value: c.value,
        customers: c.customers,
        suppressed: c.suppressed,
        previous_value: c.previous,
        year_earlier_value: c.year_earlier,
    }
}

#[Object]
impl KpiResult {
    async fn kpi(&self) -> KpiDefinition {
        KpiDefinition(self.0.kpi)
    }
    async fn group_by(&self) -> Vec<KpiDimension> {
        self.0.group_by.iter().map(|d| (*d).into()).collect()
    }
    async fn period(&self) -> KpiPeriod {
        self.1
    }
    /// The cells, by period, then by dimension values.
    async fn cells(&self) -> Vec<KpiCell> {
        self.0.cells.iter().map(|c| cell(&self.0, c)).collect()
    }
    /// Per period, everything the caller may see without breakdown: the group for
    /// group roles, the store for a store manager.
    async fn totals(&self) -> Vec<KpiCell> {
        self.0.totals.iter().map(|c| cell(&self.0, c)).collect()
    }
}

#[derive(Default)]
pub struct KpiQueryRoot;

#[Object]
impl KpiQueryRoot {
    /// Every KPI the hub computes, with its definition.
    async fn kpi_catalogue(&self, ctx: &Context<'_>) -> Result<Vec<KpiDefinition>> {
        scope(ctx)?;
        Ok(kpi::CATALOGUE.iter().map(KpiDefinition).collect())
    }

    /// One KPI between two dates (Asia/Shanghai, both included), per period, broken down
    /// by `groupBy`; for roles that read aggregates, within their reach.
    #[allow(clippy::too_many_arguments)]
    async fn kpi(
        &self,
        ctx: &Context<'_>,
        name: String,
        #[graphql(default)] group_by: Vec<KpiDimension>,
        #[graphql(default_with = "KpiPeriod::Month")] period: KpiPeriod,
        from: NaiveDate,
        to: NaiveDate,
        filter: Option<KpiFilter>,
    ) -> Result<KpiResult> {
        let scope = scope(ctx)?;
        let settings = ctx.data_opt::<Settings>().cloned().unwrap_or_default();
        let query = KpiQuery {
            name,
            group_by: group_by.into_iter().map(Into::into).collect(),
            grain: Grain::from(period),
            from,
            to,
            filter: filter.unwrap_or_default().into_domain(),
        };
        let answer = kpi::run(db(ctx), scope, &settings, &query).await?;
        Ok(KpiResult(answer, period))
    }
}
