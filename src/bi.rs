//! KPIs as CSV for people who live in spreadsheets: `GET /bi/kpi/NAME.csv?...` with a
//! bearer token or API key. The download runs the GraphQL `kpi` query as the caller — the
//! same figures, reach and suppression — and writes its cells and totals as rows.
//!
//! Parameters: `from`, `to` (dates, required), `period` (DAY … YEAR, default MONTH),
//! `groupBy` (comma-separated dimensions, e.g. `STORE,GRADE`), and filters `stores`,
//! `brands`, `cities`, `departments`, `grades`, `channels`, `reasons` (comma-separated).
//! Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) is
//! prefixed with `'`.

use std::collections::HashMap;

use async_graphql::{Request as GqlRequest, Variables};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::{Value, json};

use crate::http::{AppState, RequestId, json_error, run_for_caller};

pub fn routes() -> Router<AppState> {
    Router::new().route("/bi/kpi/{file}", get(kpi_csv))
}

const FILTERS: [&str; 7] = ["stores", "brands", "cities", "departments", "grades", "channels", "reasons"];
/// The most bytes of one query-string value.
const MAX_PARAM: usize = 2_000;

const QUERY: &str = "query($name: String!, $groupBy: [KpiDimension!]!, $period: KpiPeriod!, $from: NaiveDate!, \
$to: NaiveDate!, $filter: KpiFilter) { kpi(name: $name, groupBy: $groupBy, period: $period, from: $from, to: $to, \
filter: $filter) { kpi { name unit } cells { ...c } totals { ...c } } } fragment c on KpiCell { periodStart \
periodEnd dimensions { dimension value label } numerator denominator value customers suppressed previousValue \
yearEarlierValue }";

fn list(text: &str) -> Vec<String> {
    text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The GraphQL variables of a download, or what is wrong with its parameters.
fn variables(name: &str, params: &HashMap<String, String>) -> Result<Value, String> {
    let mut filter = serde_json::Map::new();
    let mut vars = json!({ "name": name, "groupBy": [], "period": "MONTH" });
    for (key, value) in params {
        if value.len() > MAX_PARAM {
            return Err(format!("`{key}` is longer than {MAX_PARAM} bytes"));
        }
        match key.as_str() {
            "from" | "to" => vars[key] = json!(value.trim()),
            "period" => vars["period"] = json!(value.trim().to_ascii_uppercase()),
            "groupBy" => vars["groupBy"] = json!(list(&value.to_ascii_uppercase())),
            other if FILTERS.contains(&other) => {
                filter.insert(other.to_owned(), json!(list(value)));
            }
            other => return Err(format!("unknown parameter `{other}`")),
        }
    }
    for required in ["from", "to"] {
        if vars.get(required).is_none() {
            return Err(format!("`{required}` is required (YYYY-MM-DD)"));
        }
    }
    vars["filter"] = Value::Object(filter);
    Ok(vars)
}

/// One CSV field: quoted when needed, formula-looking text defused.
fn field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() };
    if defused.contains([',', '"', '\n', '\r']) { format!("\"{}\"", defused.replace('"', "\"\"")) } else { defused }
}

fn number(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

/// The CSV of a `kpi` answer.
fn render(answer: &Value) -> String {
    let cells = answer["cells"].as_array().cloned().unwrap_or_default();
    let totals = answer["totals"].as_array().cloned().unwrap_or_default();
    let dims: Vec<String> = cells
        .first()
        .and_then(|c| c["dimensions"].as_array())
        .map(|d| d.iter().map(|x| x["dimension"].as_str().unwrap_or("").to_ascii_lowercase()).collect())
        .unwrap_or_default();
    let mut out = String::from("\u{feff}level,period_start,period_end");
    for dim in &dims {
        out.push(',');
        out.push_str(dim);
        if dim == "store" {
            out.push_str(",store_name");
        }
    }
    out.push_str(",numerator,denominator,value,customers,suppressed,previous_value,year_earlier_value\r\n");
    for (level, rows) in [("cell", &cells), ("total", &totals)] {
        for c in rows {
            out.push_str(level);
            for key in ["periodStart", "periodEnd"] {
                out.push(',');
                out.push_str(&field(c[key].as_str().unwrap_or("")));
            }
            let values = c["dimensions"].as_array().cloned().unwrap_or_default();
            for (i, dim) in dims.iter().enumerate() {
                let v = values.get(i);
                out.push(',');
                out.push_str(&field(v.and_then(|v| v["value"].as_str()).unwrap_or("")));
                if dim == "store" {
                    out.push(',');
                    out.push_str(&field(v.and_then(|v| v["label"].as_str()).unwrap_or("")));
                }
            }
            for key in
                ["numerator", "denominator", "value", "customers", "suppressed", "previousValue", "yearEarlierValue"]
            {
                out.push(',');
                out.push_str(&number(&c[key]));
            }
            out.push_str("\r\n");
        }
    }
    out
}

/// The HTTP status of a refused download, from the GraphQL error code.
fn status_of(code: &str) -> StatusCode {
    match code {
        "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
        "FORBIDDEN" => StatusCode::FORBIDDEN,
        "UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
        "INTERNAL" => StatusCode::INTERNAL_SERVER_ERROR,
        "RATE_LIMITED" => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn kpi_csv(
    State(state): State<AppState>,
    Extension(id): Extension<RequestId>,
    Path(file): Path<String>,
    headers: HeaderMap,
    params: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let request_id = id.0;
    let Some(name) = file.strip_suffix(".csv") else {
        return json_error(StatusCode::NOT_FOUND, "NOT_FOUND", "KPI downloads end in .csv", &request_id);
    };
    let Ok(Query(params)) = params else {
        return json_error(StatusCode::BAD_REQUEST, "BAD_REQUEST", "the query string is malformed", &request_id);
    };
    let vars = match variables(name, &params) {
        Ok(vars) => vars,
        Err(message) => return json_error(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", &message, &request_id),
    };
    let request = GqlRequest::new(QUERY).variables(Variables::from_json(vars));
    let response = match run_for_caller(&state, &headers, &request_id, request).await {
        Ok(response) => response,
        Err(refused) => return refused,
    };
    if let Some(error) = response.errors.first() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .and_then(|v| match v {
                async_graphql::Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "BAD_USER_INPUT".to_owned());
        return json_error(status_of(&code), &code, &error.message, &request_id);
    }
    let data = response.data.into_json().unwrap_or_default();
    let answer = &data["kpi"];
    let mut out = (StatusCode::OK, render(answer)).into_response();
    let h = out.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    let kpi = answer["kpi"]["name"].as_str().unwrap_or("kpi");
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{kpi}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-request-id", v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_separators_quoted() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("杭州, 西湖"), "\"杭州, 西湖\"");
        assert_eq!(field("ZJ01"), "ZJ01");
    }

    #[test]
    fn parameters_become_variables() {
        let params: HashMap<String, String> = [
            ("from".to_owned(), "2026-01-01".to_owned()),
            ("to".to_owned(), "2026-06-30".to_owned()),
            ("groupBy".to_owned(), "store, grade".to_owned()),
            ("stores".to_owned(), "ZJ01,ZJ02".to_owned()),
        ]
        .into();
        let v = variables("lead_conversion_rate", &params).unwrap();
        assert_eq!(v["groupBy"], json!(["STORE", "GRADE"]));
        assert_eq!(v["filter"]["stores"], json!(["ZJ01", "ZJ02"]));
        let mut bad = params.clone();
        bad.insert("x".into(), "1".into());
        assert!(variables("revenue", &bad).is_err());
        bad.remove("x");
        bad.remove("from");
        assert!(variables("revenue", &bad).is_err());
    }
}
