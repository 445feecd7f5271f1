//! Small cells: a cell counting fewer than k distinct customers shows no figures
//! (primary suppression). Then, for each grouped dimension, cells that differ only in that
//! dimension (same period, same other values) are siblings whose sum the coarser answer
//! shows; where exactly one of them is hidden it could be derived by subtraction, so the
//! visible sibling with the fewest customers (ties: the lowest value, byte order) is
//! hidden too (complementary suppression), until nothing changes.
//!
//! With one grouped dimension this is a single pass, which the `bi` views spell in SQL
//! (`views.rs`): the two must agree, and a test compares them.

use std::collections::HashMap;

use super::{Cell, Kpi, Measure, Period, Raw};

/// Turns counted cells into answer cells: shares, values, suppression.
pub fn finish(kpi: &Kpi, periods: &[Period], raws: Vec<Raw>, ndims: usize, share: Option<usize>, k: i64) -> Vec<Cell> {
    let hidden = hide(&raws, ndims, k);
    // A share's denominator: the sum of the numerators of the cells that differ only in
    // the share dimension (all of them when it is not grouped).
    let mut sums: HashMap<(usize, Vec<String>), f64> = HashMap::new();
    if let Measure::Share(_) = kpi.measure {
        for raw in &raws {
            *sums.entry((raw.period, without(&raw.dims, share))).or_default() += raw.num;
        }
    }
    raws.into_iter()
        .zip(hidden)
        .filter_map(|(raw, hidden)| {
            let period = *periods.get(raw.period)?;
            let den = match kpi.measure {
                Measure::Share(_) => sums.get(&(raw.period, without(&raw.dims, share))).copied().unwrap_or(0.0),
                _ => raw.den,
            };
            let value = value(kpi.measure, raw.num, den);
            Some(if hidden {
                Cell {
                    period,
                    dims: raw.dims,
                    numerator: None,
                    denominator: None,
                    value: None,
                    customers: None,
                    suppressed: true,
                    previous: None,
                    year_earlier: None,
                }
            } else {
                Cell {
                    period,
                    dims: raw.dims,
                    numerator: Some(raw.num),
                    denominator: Some(den),
                    value,
                    customers: Some(raw.customers),
                    suppressed: false,
                    previous: None,
                    year_earlier: None,
                }
            })
        })
        .collect()
}

/// The value of a cell from its numerator and denominator.
pub fn value(measure: Measure, num: f64, den: f64) -> Option<f64> {
    match measure {
        Measure::Count | Measure::Amount => Some(num),
        Measure::Rate | Measure::Average | Measure::Share(_) => (den > 0.0).then(|| num / den),
    }
}

fn without(dims: &[String], skip: Option<usize>) -> Vec<String> {
    dims.iter().enumerate().filter(|(i, _)| Some(*i) != skip).map(|(_, v)| v.clone()).collect()
}

/// Which cells to hide, by index.
pub fn hide(raws: &[Raw], ndims: usize, k: i64) -> Vec<bool> {
    let mut hidden: Vec<bool> = raws.iter().map(|r| r.customers < k).collect();
    if ndims == 0 {
        return hidden;
    }
    loop {
        let mut changed = false;
        for dim in 0..ndims {
            let mut groups: HashMap<(usize, Vec<String>), Vec<usize>> = HashMap::new();
            for (i, raw) in raws.iter().enumerate() {
                groups.entry((raw.period, without(&raw.dims, Some(dim)))).or_default().push(i);
            }
            for members in groups.values() {
                if members.len() < 2 || members.iter().filter(|i| hidden[**i]).count() != 1 {
                    continue;
                }
                let partner = members.iter().copied().filter(|i| !hidden[*i]).min_by(|a, b| {
                    raws[*a].customers.cmp(&raws[*b].customers).then_with(|| raws[*a].dims.cmp(&raws[*b].dims))
                });
                if let Some(partner) = partner {
                    hidden[partner] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            return hidden;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(period: usize, dims: &[&str], customers: i64) -> Raw {
        Raw { period, dims: dims.iter().map(|s| s.to_string()).collect(), num: customers as f64, den: 1.0, customers }
    }

    #[test]
    fn one_small_cell_takes_its_smallest_sibling_with_it() {
        let raws = vec![raw(0, &["A"], 3), raw(0, &["B"], 9), raw(0, &["C"], 7), raw(1, &["A"], 8), raw(1, &["B"], 6)];
        assert_eq!(hide(&raws, 1, 5), vec![true, false, true, false, false]);
    }

    #[test]
    fn two_small_cells_protect_each_other() {
        let raws = vec![raw(0, &["A"], 3), raw(0, &["B"], 2), raw(0, &["C"], 7)];
        assert_eq!(hide(&raws, 1, 5), vec![true, true, false]);
    }

    #[test]
    fn no_hidden_cell_is_alone_in_a_row_or_column() {
        // store × grade: one small cell in the middle spreads to a rectangle.
        let raws = vec![
            raw(0, &["A", "O"], 3),
            raw(0, &["A", "H"], 9),
            raw(0, &["B", "O"], 8),
            raw(0, &["B", "H"], 20),
            raw(0, &["C", "O"], 30),
            raw(0, &["C", "H"], 40),
        ];
        let hidden = hide(&raws, 2, 5);
        for dim in 0..2 {
            let mut groups: HashMap<Vec<String>, usize> = HashMap::new();
            for (i, r) in raws.iter().enumerate() {
                if hidden[i] {
                    *groups.entry(without(&r.dims, Some(dim))).or_default() += 1;
                }
            }
            assert!(groups.values().all(|n| *n != 1), "dimension {dim}: {hidden:?}");
        }
        assert_eq!(hidden, vec![true, true, true, true, false, false]);
    }
}
